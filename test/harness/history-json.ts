// Temporal histories as proto3 JSON, the format of `temporal workflow show --output json` and of
// the Web UI's download. @temporalio/common's historyToJSON/historyFromJSON fail in this install
// ("type must be a Type"): npm gives @temporalio/common and @temporalio/proto separate copies of
// protobufjs 8 (protobufjs 7 sits at the top for @grpc/proto-loader), and the protojson of one copy
// rejects the message types built by the other. So this uses the protojson of the copy that built
// the types, wherever npm put it.
import { createRequire } from 'node:module';
import * as proto from '@temporalio/proto';
import { patchProtobufRoot } from '@temporalio/proto/lib/patch-protobuf-root';

export type History = proto.temporal.api.history.v1.IHistory;

interface ProtoJson {
  toJson(type: unknown, message: unknown): unknown;
  fromJson(type: unknown, json: unknown, options?: { ignoreUnknownFields?: boolean }): unknown;
}

const protojson = createRequire(require.resolve('@temporalio/proto'))('protobufjs/ext/protojson') as ProtoJson;
const root = patchProtobufRoot(proto as unknown as Record<string, unknown>) as unknown as { lookupType(name: string): unknown };
const historyType = root.lookupType('temporal.api.history.v1.History');

/** The history as indented proto3 JSON text. */
export function historyToJson(history: History): string {
  const json = protojson.toJson(historyType, proto.temporal.api.history.v1.History.fromObject(history));
  return `${JSON.stringify(json, null, 1)}\n`;
}

/** Parses proto3 JSON (as historyToJson writes it) back into a history the replayer takes. */
export function historyFromJson(text: string): History {
  const history = protojson.fromJson(historyType, JSON.parse(text), { ignoreUnknownFields: true }) as History | null;
  if (!history?.events?.length) throw new TypeError('not a Temporal history: no events');
  return history;
}
