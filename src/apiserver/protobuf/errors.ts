/**
 * The only error the protobuf codec throws for bad input. Its message says what was wrong
 * and, where it helps, at which byte, so it can be returned to the client as a 400/415.
 */
export class ProtobufDecodeError extends Error {
  override name = 'ProtobufDecodeError';
}

/** Thrown by the encoder when an object does not fit the schema of its kind. */
export class ProtobufEncodeError extends Error {
  override name = 'ProtobufEncodeError';
}
