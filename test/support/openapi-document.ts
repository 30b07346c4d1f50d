import { HttpClient } from './http';

/** The parts of an OpenAPI 3 document that the contract and fuzz suites read. */
export interface Schema {
  $ref?: string;
  type?: 'string' | 'number' | 'integer' | 'boolean' | 'object' | 'array';
  format?: string;
  nullable?: boolean;
  enum?: unknown[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  additionalProperties?: boolean | Schema;
  allOf?: Schema[];
  oneOf?: Schema[];
  anyOf?: Schema[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  example?: unknown;
  default?: unknown;
}

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: Schema;
}

export interface ResponseObject {
  description?: string;
  content?: Record<string, { schema?: Schema }>;
}

export interface OperationObject {
  operationId?: string;
  summary?: string;
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content: Record<string, { schema?: Schema }> };
  responses: Record<string, ResponseObject>;
  security?: Array<Record<string, string[]>>;
}

export interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, OperationObject>>;
  components?: { schemas?: Record<string, Schema> };
}

/** One method on one path, e.g. `POST /api/wallets/{id}/credit`. */
export interface Operation {
  method: string;
  /** The path template of the document, with `{param}` placeholders. */
  path: string;
  spec: OperationObject;
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

export const operationName = (op: Pick<Operation, 'method' | 'path'>) => `${op.method} ${op.path}`;

export async function fetchOpenApiDocument(http: HttpClient): Promise<OpenApiDocument> {
  const res = await http.get('/api/docs-json');
  if (res.status !== 200) throw new Error(`GET /api/docs-json answered ${res.status}`);
  return res.body as OpenApiDocument;
}

export function operationsOf(doc: OpenApiDocument): Operation[] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, spec]) => ({ method: method.toUpperCase(), path, spec })),
  );
}

/** Follows `$ref`s to `#/components/schemas/...` until a schema without one. */
export function resolveSchema(doc: OpenApiDocument, schema: Schema): Schema {
  let current = schema;
  for (let depth = 0; current.$ref; depth++) {
    if (depth > 32) throw new Error(`$ref cycle at ${current.$ref}`);
    const match = /^#\/components\/schemas\/(.+)$/.exec(current.$ref);
    const target = match ? doc.components?.schemas?.[match[1]] : undefined;
    if (!target) throw new Error(`unresolvable $ref ${current.$ref}`);
    current = target;
  }
  return current;
}

export const parametersOf = (op: Operation, location: Parameter['in']) => (op.spec.parameters ?? []).filter((p) => p.in === location);

/** The JSON schema of the request body, resolved, when the operation takes one. */
export function requestBodySchema(doc: OpenApiDocument, op: Operation): Schema | undefined {
  const schema = op.spec.requestBody?.content['application/json']?.schema;
  return schema ? resolveSchema(doc, schema) : undefined;
}

/** The security schemes an operation accepts; `optional` when `{}` (no credentials) is one of them. */
export function securityOf(op: Operation): { schemes: string[]; optional: boolean } {
  const requirements = op.spec.security ?? [];
  return {
    schemes: [...new Set(requirements.flatMap((r) => Object.keys(r)))],
    optional: requirements.length === 0 || requirements.some((r) => Object.keys(r).length === 0),
  };
}
