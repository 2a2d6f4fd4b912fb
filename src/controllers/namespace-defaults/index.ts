export { NamespaceDefaultsController, ROOT_CA_CONFIGMAP } from './controller.ts';
