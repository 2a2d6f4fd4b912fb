export { NamespaceController } from './controller.ts';
