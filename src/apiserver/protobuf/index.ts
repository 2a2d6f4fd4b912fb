// Kubernetes protobuf bodies (`application/vnd.kubernetes.protobuf`), as kubectl 1.32+ sends
// them from its typed clients. Decoding yields the JSON object the same client would have sent
// as JSON (Go encoding/json of the same value); encoding is the inverse. The schemas cover every
// GA k8s.io/api group version and apimachinery's meta/v1; see tables.generated.ts.
export {
  PROTOBUF_CONTENT_TYPE,
  decodeProtobufObject,
  encodeProtobufObject,
  type DecodedObject,
} from './envelope.ts';
export { ProtobufDecodeError, ProtobufEncodeError } from './errors.ts';
