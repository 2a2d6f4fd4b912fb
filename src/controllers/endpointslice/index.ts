export {
  EndpointSliceController,
  MAX_ENDPOINTS_PER_SLICE,
  type EndpointSliceCaches,
  type EndpointSliceControllerOptions,
} from './controller.ts';
export {
  CONTROLLER_NAME,
  LABEL_MANAGED_BY,
  LABEL_SERVICE_NAME,
  type Endpoint,
  type EndpointPort,
  type EndpointSlice,
} from './slices.ts';
