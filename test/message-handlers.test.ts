/** IPC dispatch by table (runtime/util/message-handlers.ts), as the hub, the host and the pools use it. */
import t from "tap";
import { handleMessage, type MessageHandlers } from "../runtime/util/message-handlers.js";

type Message = { type: "add"; amount: number } | { type: "reset" };

t.test("each message goes to the handler of its type; other types are ignored", async (t) => {
  let total = 0;
  const resets: Message[] = [];
  const handlers: MessageHandlers<Message> = {
    add: ({ amount }) => (total += amount),
    reset: (message) => {
      resets.push(message);
      total = 0;
    },
  };
  handleMessage(handlers, { type: "add", amount: 2 });
  handleMessage(handlers, { type: "add", amount: 3 });
  t.equal(total, 5, "add twice");
  handleMessage(handlers, { type: "reset" });
  t.equal(total, 0, "reset");
  t.same(resets, [{ type: "reset" }], "given its own message");
  for (const stray of ["unknown", "toString", "__proto__"]) handleMessage(handlers, { type: stray } as unknown as Message);
  t.equal(total, 0, "unknown types, and names inherited from Object, reach no handler");
});

t.test("a table must cover every type, each handler typed with its own message", async (t) => {
  // @ts-expect-error "reset" has no handler
  const missing: MessageHandlers<Message> = { add: () => {} };
  // @ts-expect-error "reset" messages have no amount
  const wrong: MessageHandlers<Message> = { add: () => {}, reset: ({ amount }) => amount };
  t.ok(missing && wrong, "the two tables above do not type-check (tsc -p test/tsconfig.json)");
});
