import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { getMetadataStorage } from 'class-validator';

/** The JSON Schema subset (AsyncAPI Schema Object) the generator writes. */
export interface JsonSchema {
  type?: 'string' | 'integer' | 'number' | 'boolean' | 'object' | 'array' | 'null';
  description?: string;
  format?: string;
  pattern?: string;
  enum?: (string | number)[];
  const?: string | number | boolean;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  $ref?: string;
  allOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  'x-constraints'?: string[];
}

type Constructor = new () => object;
type ValidationMetadata = ReturnType<ReturnType<typeof getMetadataStorage>['getTargetValidationMetadatas']>[number];

/** The class-validator decorators of a class (own and inherited), by property, in declaration order. */
export function validationMetadataByProperty(cls: Constructor): Map<string, ValidationMetadata[]> {
  const all = getMetadataStorage().getTargetValidationMetadatas(cls, '', true, false);
  const byProperty = new Map<string, ValidationMetadata[]>();
  for (const m of all) byProperty.set(m.propertyName, [...(byProperty.get(m.propertyName) ?? []), m]);
  return byProperty;
}

/** The class a @ValidateNested property holds, from its class-transformer @Type (undefined when it has none). */
export function nestedClass(cls: Constructor, property: string, each: boolean): Constructor | undefined {
  const instance = plainToInstance(cls, { [property]: each ? [{}] : {} }) as Record<string, unknown>;
  const value = each ? (instance[property] as unknown[] | undefined)?.[0] : instance[property];
  const ctor = (value as object | undefined)?.constructor as Constructor | undefined;
  return ctor && ctor !== Object ? ctor : undefined;
}

const IS_OPTIONAL = 'conditionalValidation';
const NESTED = 'nestedValidation';

/** Applies one decorator's constraint to a schema; returns false when the decorator has no JSON Schema counterpart. */
function applyConstraint(schema: JsonSchema, m: ValidationMetadata): boolean {
  const c = (m.constraints ?? []) as unknown[];
  switch (m.name) {
    case 'isString':
      schema.type = 'string';
      return true;
    case 'isInt':
      schema.type = 'integer';
      return true;
    case 'isNumber':
      schema.type ??= 'number';
      return true;
    case 'isBoolean':
      schema.type = 'boolean';
      return true;
    case 'isObject':
      schema.type = 'object';
      return true;
    case 'isArray':
      schema.type = 'array';
      return true;
    case 'isLength':
      schema.type ??= 'string';
      if (typeof c[0] === 'number') schema.minLength = c[0];
      if (typeof c[1] === 'number') schema.maxLength = c[1];
      return true;
    case 'minLength':
      schema.minLength = c[0] as number;
      return true;
    case 'maxLength':
      schema.maxLength = c[0] as number;
      return true;
    case 'matches': {
      schema.type ??= 'string';
      const pattern = c[0] instanceof RegExp ? c[0] : new RegExp(String(c[0]), typeof c[1] === 'string' ? c[1] : undefined);
      schema.pattern = pattern.source;
      if (pattern.flags.includes('i')) schema['x-constraints'] = [...(schema['x-constraints'] ?? []), 'pattern is case-insensitive'];
      return true;
    }
    case 'isIn': {
      const values = [...(c[0] as (string | number)[])];
      schema.enum = values;
      if (values.every((v) => typeof v === 'string')) schema.type ??= 'string';
      else if (values.every((v) => Number.isInteger(v))) schema.type ??= 'integer';
      return true;
    }
    case 'min':
      schema.minimum = c[0] as number;
      return true;
    case 'max':
      schema.maximum = c[0] as number;
      return true;
    case 'isPositive':
      schema.minimum = Math.max(schema.minimum ?? Number.MIN_VALUE, Number.MIN_VALUE);
      return true;
    case 'isUuid':
      schema.type = 'string';
      schema.format = 'uuid';
      return true;
    case 'isIso8601':
      schema.type = 'string';
      schema.format = 'date-time';
      return true;
    case 'isDateString':
      schema.type = 'string';
      schema.format = 'date-time';
      return true;
    case 'arrayMinSize':
      schema.type = 'array';
      schema.minItems = c[0] as number;
      return true;
    case 'arrayMaxSize':
      schema.type = 'array';
      schema.maxItems = c[0] as number;
      return true;
    default:
      return false;
  }
}

const DESIGN_TYPES = new Map<unknown, JsonSchema['type']>([
  [String, 'string'], [Number, 'number'], [Boolean, 'boolean'], [Array, 'array'], [Object, 'object'],
]);

export interface ClassSchemas {
  /** The schema of the class itself. */
  schema: JsonSchema;
  /** Schemas of classes it nests, by class name (referenced as #/components/schemas/Name). */
  nested: Map<string, JsonSchema>;
}

/**
 * A class-validator class as a JSON Schema: every decorated property, its type, the constraints the decorators state,
 * and `required` = every property without @IsOptional. Unknown decorators are listed in `x-constraints`, never dropped.
 * Consumers validate with whitelist + forbidNonWhitelisted, so no other property is allowed.
 */
export function schemaOfClass(cls: Constructor, refPrefix = '#/components/schemas/'): ClassSchemas {
  const nested = new Map<string, JsonSchema>();
  const visit = (target: Constructor): JsonSchema => {
    const properties: Record<string, JsonSchema> = {};
    const required: string[] = [];
    for (const [property, metadata] of validationMetadataByProperty(target)) {
      const schema: JsonSchema = {};
      const items: JsonSchema = {};
      const unknown: string[] = [];
      let optional = false;
      for (const m of metadata) {
        if (m.type === IS_OPTIONAL) {
          optional = true;
          continue;
        }
        if (m.type === NESTED) {
          const inner = nestedClass(target, property, m.each ?? false);
          const ref: JsonSchema = inner ? { $ref: `${refPrefix}${inner.name}` } : { type: 'object' };
          if (inner && !nested.has(inner.name)) {
            nested.set(inner.name, {});
            nested.set(inner.name, visit(inner));
          }
          if (m.each) {
            schema.type = 'array';
            Object.assign(items, ref);
          } else Object.assign(schema, ref);
          continue;
        }
        const into = m.each ? items : schema;
        if (m.each) schema.type = 'array';
        if (!applyConstraint(into, m)) unknown.push(`${m.name ?? m.type}(${JSON.stringify(m.constraints ?? [])})`);
        if (typeof m.message === 'string' && !into.description) into.description = m.message;
      }
      if (!schema.type && !schema.$ref) {
        const designType = DESIGN_TYPES.get(Reflect.getMetadata('design:type', target.prototype, property));
        if (designType) schema.type = designType;
      }
      if (schema.type === 'array' && !schema.items) schema.items = items;
      if (unknown.length > 0) schema['x-constraints'] = [...(schema['x-constraints'] ?? []), ...unknown];
      properties[property] = sortKeys(schema);
      if (!optional) required.push(property);
    }
    return { type: 'object', properties, required, additionalProperties: false };
  };
  return { schema: visit(cls), nested };
}

const KEY_ORDER = ['$ref', 'type', 'description', 'format', 'enum', 'const', 'pattern', 'minLength', 'maxLength', 'minimum', 'maximum', 'minItems', 'maxItems', 'items'];

/** Stable key order, so the generated document diffs cleanly. */
function sortKeys(schema: JsonSchema): JsonSchema {
  const rank = (k: string) => (KEY_ORDER.includes(k) ? KEY_ORDER.indexOf(k) : KEY_ORDER.length);
  const entries = Object.entries(schema).sort(([a], [b]) => rank(a) - rank(b));
  if (schema.items) entries.splice(entries.findIndex(([k]) => k === 'items'), 1, ['items', sortKeys(schema.items)]);
  return Object.fromEntries(entries) as JsonSchema;
}
