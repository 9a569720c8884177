import 'reflect-metadata';
import { IsIn, IsInt, IsOptional, IsString, Length, Matches, Max, Min, ValidateNested, ArrayMinSize } from 'class-validator';
import { Type } from 'class-transformer';
import { CashOut, MESSAGES } from '@pointsweep/contracts';
import { schemaOfClass } from './payload-schema';
import { buildAsyncApiDocument } from './asyncapi-document';

class Inner {
  @IsInt() @Min(1) @Max(9) n!: number;
}
class Sample {
  @IsString() @Length(2, 5) s!: string;
  @Matches(/^a+$/i, { message: 'only a' }) a!: string;
  @IsOptional() @IsIn(['X', 'Y']) choice?: string;
  @ValidateNested({ each: true }) @Type(() => Inner) @ArrayMinSize(1) inner!: Inner[];
}

describe('schemaOfClass', () => {
  it('turns class-validator decorators into JSON Schema', () => {
    const { schema, nested } = schemaOfClass(Sample);
    expect(schema).toEqual({
      type: 'object',
      properties: {
        s: { type: 'string', minLength: 2, maxLength: 5 },
        a: { type: 'string', description: 'only a', pattern: '^a+$', 'x-constraints': ['pattern is case-insensitive'] },
        choice: { type: 'string', enum: ['X', 'Y'] },
        inner: { type: 'array', minItems: 1, items: { $ref: '#/components/schemas/Inner' } },
      },
      required: ['s', 'a', 'inner'],
      additionalProperties: false,
    });
    expect(nested.get('Inner')).toEqual({
      type: 'object', properties: { n: { type: 'integer', minimum: 1, maximum: 9 } }, required: ['n'], additionalProperties: false,
    });
  });

  it('includes inherited properties (the assertion of commands acting for a person)', () => {
    expect(schemaOfClass(CashOut).schema.required).toEqual(['requestId', 'accountId', 'parts', 'assertion']);
  });
});

describe('buildAsyncApiDocument', () => {
  it('has a message and a payload schema per MESSAGES entry and no shared references', () => {
    const doc = buildAsyncApiDocument() as { components: { messages: Record<string, unknown>; schemas: Record<string, unknown> } };
    for (const m of MESSAGES) {
      expect(doc.components.messages[m.type]).toBeDefined();
      expect(doc.components.schemas[m.type]).toBeDefined();
    }
  });
});
