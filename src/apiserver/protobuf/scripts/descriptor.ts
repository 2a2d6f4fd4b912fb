// Just enough of google/protobuf/descriptor.proto to read the k8s.io API descriptors,
// decoded with the codec's own wire reader.
import { WireReader } from '../wire.ts';

export interface FieldDescriptor {
  name: string;
  number: number;
  repeated: boolean;
  /** FieldDescriptorProto.Type: 1 double … 9 string, 11 message, 12 bytes, 14 enum … */
  type: number;
  /** Fully qualified message name without the leading dot, for message fields. */
  typeName: string;
  /** gogoproto.nullable; a field without the option is nullable (a Go pointer). */
  nullable: boolean;
  castType: string;
}

export interface MessageDescriptor {
  name: string;
  fields: FieldDescriptor[];
  nested: MessageDescriptor[];
  mapEntry: boolean;
}

export interface FileDescriptor {
  name: string;
  package: string;
  messages: MessageDescriptor[];
}

const GOGO_NULLABLE = 65001;
const GOGO_CASTTYPE = 65007;

export function parseFileDescriptor(buf: Uint8Array): FileDescriptor {
  const file: FileDescriptor = { name: '', package: '', messages: [] };
  readFields(new WireReader(buf), (field, r) => {
    if (field === 1) file.name = r.string();
    else if (field === 2) file.package = r.string();
    else if (field === 4) file.messages.push(parseMessage(r.message()));
    else return false;
    return true;
  });
  return file;
}

function parseMessage(reader: WireReader): MessageDescriptor {
  const message: MessageDescriptor = { name: '', fields: [], nested: [], mapEntry: false };
  readFields(reader, (field, r) => {
    if (field === 1) message.name = r.string();
    else if (field === 2) message.fields.push(parseField(r.message()));
    else if (field === 3) message.nested.push(parseMessage(r.message()));
    else if (field === 7) {
      readFields(r.message(), (option, o) => {
        if (option !== 7) return false;
        message.mapEntry = o.bool();
        return true;
      });
    } else return false;
    return true;
  });
  return message;
}

function parseField(reader: WireReader): FieldDescriptor {
  const field: FieldDescriptor = {
    name: '',
    number: 0,
    repeated: false,
    type: 0,
    typeName: '',
    nullable: true,
    castType: '',
  };
  readFields(reader, (number, r) => {
    if (number === 1) field.name = r.string();
    else if (number === 3) field.number = r.varint();
    else if (number === 4) field.repeated = r.varint() === 3;
    else if (number === 5) field.type = r.varint();
    else if (number === 6) field.typeName = r.string().replace(/^\./, '');
    else if (number === 8) {
      readFields(r.message(), (option, o) => {
        if (option === GOGO_NULLABLE) field.nullable = o.bool();
        else if (option === GOGO_CASTTYPE) field.castType = o.string();
        else return false;
        return true;
      });
    } else return false;
    return true;
  });
  return field;
}

/** Calls `read` for each field; when it returns false the field is skipped. */
function readFields(reader: WireReader, read: (field: number, r: WireReader) => boolean): void {
  while (!reader.done) {
    const { field, wireType } = reader.tag();
    if (!read(field, reader)) reader.skip(wireType);
  }
}
