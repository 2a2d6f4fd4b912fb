import type { KubeObject, ResourceType } from '../api/index.ts';
import { apiVersionOf, rfc3339 } from '../api/index.ts';
import type { TokenAuthenticator, UserInfo } from './auth.ts';
import { API_AUDIENCES } from './serviceaccount/index.ts';

// The review kinds are questions, not objects: `kubectl auth can-i` and `auth whoami` POST
// one and read the answer from its status; nothing is stored. Until RBAC lands every
// authenticated user may do everything, so access reviews answer "allowed".

export async function answerReview(
  type: ResourceType,
  body: KubeObject,
  user: UserInfo,
  tokens: TokenAuthenticator,
): Promise<KubeObject> {
  const head = {
    kind: type.kind,
    apiVersion: apiVersionOf(type.group, type.version),
    metadata: { creationTimestamp: null as string | null },
  };
  const spec = (body.spec ?? {}) as Record<string, unknown>;
  switch (type.kind) {
    case 'SelfSubjectAccessReview':
    case 'SubjectAccessReview':
    case 'LocalSubjectAccessReview':
      return {
        ...head,
        spec,
        status: { allowed: true, reason: 'wharf allows every authenticated user (no RBAC yet)' },
      };
    case 'SelfSubjectRulesReview':
      return {
        ...head,
        spec,
        status: {
          resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }],
          nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
          incomplete: false,
        },
      };
    case 'SelfSubjectReview':
      return {
        ...head,
        metadata: { creationTimestamp: rfc3339(new Date()) },
        status: { userInfo: userInfoJson(user) },
      };
    case 'TokenReview': {
      const token = typeof spec.token === 'string' ? spec.token : '';
      const wanted = Array.isArray(spec.audiences) && spec.audiences.length > 0;
      const found = await tokens.review(token, wanted ? (spec.audiences as string[]) : undefined);
      return {
        ...head,
        spec,
        status:
          'user' in found
            ? {
                authenticated: true,
                user: userInfoJson(found.user),
                audiences: found.audiences ?? API_AUDIENCES,
              }
            : { authenticated: false, error: found.error },
      };
    }
    default:
      throw new Error(`${type.kind} is not a review kind`);
  }
}

function userInfoJson(user: UserInfo) {
  return {
    username: user.username,
    uid: user.uid,
    groups: user.groups,
    ...(user.extra ? { extra: user.extra } : {}),
  };
}

export const REVIEW_KINDS = new Set([
  'SelfSubjectAccessReview',
  'SelfSubjectRulesReview',
  'SubjectAccessReview',
  'LocalSubjectAccessReview',
  'SelfSubjectReview',
  'TokenReview',
]);
