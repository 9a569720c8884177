import { EventPattern } from '@nestjs/microservices';
import { EventPayloads } from '@pointsweep/contracts';
import { MessageContext } from './message-context';

type EventHandler<K extends keyof EventPayloads> = (event: EventPayloads[K], ctx: MessageContext) => any;

/** @EventPattern typed by the contracts: the handler's payload type must match the event's. */
export function OnEvent<K extends keyof EventPayloads>(
  type: K,
): (target: object, key: string | symbol, descriptor: TypedPropertyDescriptor<EventHandler<K>>) => void {
  return EventPattern(type as string) as never;
}
