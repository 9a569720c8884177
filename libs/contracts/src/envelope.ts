import { IsIn, IsInt, IsISO8601, IsObject, IsOptional, IsString, IsUUID, Length, Matches, Min } from 'class-validator';

/** Every message on every topic is one of these; the payload is validated separately by its type. */
export class MessageEnvelope<P = Record<string, unknown>> {
  @IsUUID()
  id!: string;

  @Matches(/^[A-Z][A-Za-z]{2,63}$/, { message: 'type must be a PascalCase message name' })
  type!: string;

  @IsInt()
  @Min(1)
  version!: number;

  @IsISO8601({ strict: true })
  occurredAt!: string;

  @IsString()
  @Length(1, 128)
  correlationId!: string;

  @IsOptional()
  @IsString()
  @Length(1, 128)
  causationId?: string;

  @IsString()
  @Length(1, 200)
  key!: string;

  @IsIn(['command', 'event', 'reply'])
  kind!: 'command' | 'event' | 'reply';

  /** Topic the reply to a command goes to (edge request-reply only). */
  @IsOptional()
  @Matches(/^[a-zA-Z0-9._-]{1,200}$/)
  replyTo?: string;

  @IsObject()
  payload!: P;

  /**
   * "keyId.mac": HMAC-SHA-256 over the rest of the envelope with a key only the services and operator tools hold.
   * Required on every type whose definition says `sender: 'service'` or `'operator'`; see MessageDefinition.
   */
  @IsOptional()
  @Matches(/^[A-Za-z0-9_-]{1,64}\.[A-Za-z0-9_-]{43}$/, { message: 'signature must be "keyId.mac" (base64url HMAC-SHA-256)' })
  signature?: string;
}

/** Payload of every reply: either a result or a stable error. */
export interface ReplyPayload<R = unknown> {
  ok: boolean;
  result?: R;
  error?: { code: string; message: string; retriable: boolean; retryAfterMs?: number };
}
