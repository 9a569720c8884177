import type { Producer } from 'kafkajs';
import { CoalescingSender } from './coalescing-sender';

type SendBatch = Parameters<Producer['sendBatch']>[0];

/** A producer whose requests stay in flight until the test lets each one finish (or fail). */
function heldProducer() {
  const requests: { batch: SendBatch; finish(): void; fail(error: Error): void }[] = [];
  const producer = {
    sendBatch: (batch: SendBatch) => new Promise((finish, fail) => requests.push({ batch, finish: () => finish([]), fail })),
  } as unknown as Pick<Producer, 'sendBatch'>;
  const carried = (i: number) => requests[i].batch.topicMessages!.map((t) => `${t.topic}:${t.messages.map((m) => m.value).join(',')}`);
  return { producer, requests, carried };
}

const settled = () => new Promise((resolve) => setImmediate(resolve));

describe('CoalescingSender', () => {
  it('sends messages asked together in one request', async () => {
    const { producer, requests, carried } = heldProducer();
    const sender = new CoalescingSender(producer);
    const sends = ['a', 'b', 'c'].map((v) => sender.send('t1', { value: v }));
    await settled();
    expect(requests).toHaveLength(1);
    expect(carried(0)).toEqual(['t1:a,b,c']);
    requests[0].finish();
    await Promise.all(sends);
    expect(sender.sent).toEqual({ messages: 3, produceRequests: 1 });
  });

  it('gathers what is asked while a request is in flight into the next one, in order, by topic', async () => {
    const { producer, requests, carried } = heldProducer();
    const sender = new CoalescingSender(producer);
    const first = sender.send('t1', { value: '1' });
    await settled();
    const later = [sender.send('t1', { value: '2' }), sender.send('t2', { value: 'x' }), sender.send('t1', { value: '3' })];
    await settled();
    expect(requests).toHaveLength(1);
    requests[0].finish();
    await first;
    await settled();
    expect(requests).toHaveLength(2);
    expect(carried(1)).toEqual(['t1:2,3', 't2:x']);
    requests[1].finish();
    await Promise.all(later);
  });

  it('fails exactly the sends of a failed request, and keeps sending the rest', async () => {
    const { producer, requests } = heldProducer();
    const sender = new CoalescingSender(producer);
    const first = sender.send('t1', { value: '1' });
    await settled();
    const second = sender.send('t1', { value: '2' });
    requests[0].fail(new Error('broker gone'));
    await expect(first).rejects.toThrow('broker gone');
    await settled();
    requests[1].finish();
    await expect(second).resolves.toBeUndefined();
  });

  it('caps a request at the batch size', async () => {
    const { producer, requests, carried } = heldProducer();
    const sender = new CoalescingSender(producer, 2);
    const sends = ['a', 'b', 'c'].map((v) => sender.send('t', { value: v }));
    await settled();
    expect(carried(0)).toEqual(['t:a,b']);
    requests[0].finish();
    await settled();
    expect(carried(1)).toEqual(['t:c']);
    requests[1].finish();
    await Promise.all(sends);
  });
});
