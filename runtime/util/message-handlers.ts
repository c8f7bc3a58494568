/**
 * IPC dispatch by table, as Node's cluster dispatches its internal messages: one handler per
 * message `type`, each typed with its own message, so a handler cannot read another's fields and a
 * type left without one is a compile error.
 */
export type MessageHandlers<M extends { type: string }> = {
  [T in M["type"]]: (message: Extract<M, { type: T }>) => void;
};

/** Hands `message` to the handler of its type; a type with none (not one of ours) is ignored. */
export function handleMessage<M extends { type: string }>(handlers: MessageHandlers<M>, message: M): void {
  if (!Object.hasOwn(handlers, message.type)) return;
  (handlers[message.type as M["type"]] as (message: M) => void)(message);
}
