/**
 * runtime/util/safe-write.ts, the one way strmbrkr writes a file: a temporary file with a random name
 * beside the target, created exclusively without following a symlink, 0600 unless asked, renamed
 * over the target; removed if anything fails.
 */
import t from "tap";
import {
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  closeSync,
  lstatSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  watch,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { safeWriteFile, safeWriteFileSync } from "../runtime/util/safe-write.js";
import type { TapTest } from "./lib/scenario.js";

function scratch(t: TapTest): string {
  const dir = mkdtempSync(join(tmpdir(), "strmbrkr-safe-write-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const modeOf = (path: string) => statSync(path).mode & 0o777;
const writers = { sync: safeWriteFileSync, async: safeWriteFile };

for (const [form, write] of Object.entries(writers)) {
  t.test(`${form}: writes the whole file, 0600 by default, another mode when asked`, async (t) => {
    const dir = scratch(t);
    await write(join(dir, "a"), "text");
    t.equal(readFileSync(join(dir, "a"), "utf8"), "text");
    t.equal(modeOf(join(dir, "a")), 0o600, "mode 0600");
    await write(join(dir, "b"), [Buffer.from("one "), Buffer.from("two")], { fsync: true });
    t.equal(readFileSync(join(dir, "b"), "utf8"), "one two", "chunks, one after the other");
    const umask = process.umask();
    await write(join(dir, "c"), "public", { mode: 0o644 });
    t.equal(modeOf(join(dir, "c")), 0o644 & ~umask, "the mode asked for, less the umask");
    t.same(readdirSync(dir).sort(), ["a", "b", "c"], "no temporary file is left");
  });

  t.test(`${form}: the target is replaced by a rename, never rewritten in place`, async (t) => {
    const dir = scratch(t);
    const target = join(dir, "target");
    writeFileSync(target, "old", { mode: 0o666 });
    const before = statSync(target).ino;
    const reader = openSync(target, "r"); // holds the old file
    t.teardown(() => closeSync(reader));
    await write(target, "new");
    t.equal(readFileSync(target, "utf8"), "new");
    t.not(statSync(target).ino, before, "a new file took the name");
    t.equal(readFileSync(reader, "utf8"), "old", "the old file was never touched: a reader sees it whole");
    t.equal(modeOf(target), 0o600, "and the new one is 0600 whatever the old one was");
  });

  t.test(`${form}: a symlink at the target is replaced, not written through`, async (t) => {
    const dir = scratch(t);
    const victim = join(dir, "victim");
    writeFileSync(victim, "precious");
    symlinkSync(victim, join(dir, "target"));
    await write(join(dir, "target"), "mine");
    t.equal(readFileSync(victim, "utf8"), "precious", "the file the symlink pointed at is unchanged");
    t.ok(lstatSync(join(dir, "target")).isFile(), "the target is now a file of its own");
    t.equal(readFileSync(join(dir, "target"), "utf8"), "mine");
  });

  t.test(`${form}: on failure the temporary file is removed and the target left as it was`, async (t) => {
    const dir = scratch(t);
    const target = join(dir, "full");
    mkdirSync(target);
    writeFileSync(join(target, "inside"), "x"); // a folder that is not empty: the rename fails
    const error = await Promise.resolve()
      .then(() => write(target, "data"))
      .then(
        () => undefined,
        (error: NodeJS.ErrnoException) => error,
      );
    t.ok(error && ["EISDIR", "ENOTEMPTY", "EEXIST"].includes(error.code!), `the rename failed (${error?.code})`);
    t.same(readdirSync(dir), ["full"], "no temporary file is left");
    t.same(readdirSync(target), ["inside"], "the target is as it was");
  });

  t.test(`${form}: temporary names are random, beside the target`, { timeout: 10_000 }, async (t) => {
    const dir = scratch(t);
    const seen = new Set<string>();
    let twoSeen!: () => void;
    const two = new Promise<void>((resolve) => (twoSeen = resolve));
    const watcher = watch(dir, (_event, name) => {
      if (name && name !== "target") seen.add(name);
      if (seen.size === 2) twoSeen();
    });
    t.teardown(() => watcher.close());
    await write(join(dir, "target"), "1");
    await write(join(dir, "target"), "2");
    await two;
    const names = [...seen];
    t.ok(
      names.every((name) => /^target\.[0-9a-f]{16}\.tmp$/.test(name)),
      `named target.<16 random hex digits>.tmp (${names})`,
    );
  });
}

t.test("a file or symlink already at the temporary name makes the write fail; it is neither written nor removed", async (t) => {
  // With randomBytes fixed, the temporary name is known: as if another user had guessed it.
  const fixed = Buffer.alloc(8, 0xab);
  const { safeWriteFile: writeAsync, safeWriteFileSync: writeSync } = await t.mockImport<typeof import("../runtime/util/safe-write.js")>(
    "../runtime/util/safe-write.js",
    {
      "../runtime/util/node-crypto.js": { nodeCrypto: () => ({ randomBytes: () => fixed }) },
    },
  );
  for (const [form, write] of Object.entries({ sync: writeSync, async: writeAsync })) {
    const dir = scratch(t);
    const target = join(dir, "target");
    const temp = `${target}.${fixed.toString("hex")}.tmp`;
    const victim = join(dir, "victim");
    writeFileSync(victim, "precious");

    writeFileSync(temp, "planted", { mode: 0o666 });
    const onFile = await Promise.resolve()
      .then(() => write(target, "secret"))
      .then(
        () => undefined,
        (error: NodeJS.ErrnoException) => error,
      );
    t.equal(onFile?.code, "EEXIST", `${form}: a planted file: EEXIST`);
    t.equal(readFileSync(temp, "utf8"), "planted", `${form}: the planted file was not written to`);

    rmSync(temp);
    symlinkSync(victim, temp);
    const onLink = await Promise.resolve()
      .then(() => write(target, "secret"))
      .then(
        () => undefined,
        (error: NodeJS.ErrnoException) => error,
      );
    t.equal(onLink?.code, "EEXIST", `${form}: a planted symlink: EEXIST`);
    t.equal(readlinkSync(temp), victim, `${form}: the symlink is still there (not ours to remove)`);
    t.equal(readFileSync(victim, "utf8"), "precious", `${form}: the file it points at is unchanged`);
    t.throws(() => statSync(target), { code: "ENOENT" }, `${form}: no target was written`);
  }
});

t.test("async: an aborted write removes its temporary file at once and rejects", async (t) => {
  const dir = scratch(t);
  const target = join(dir, "target");
  writeFileSync(target, "old");
  const controller = new AbortController();
  let during: string[] = [];
  let after: string[] = [];
  // The second chunk is asked for once the first is written: the temporary file exists then.
  function* chunks() {
    yield Buffer.from("first ");
    during = readdirSync(dir).sort();
    controller.abort();
    after = readdirSync(dir);
    yield Buffer.from("second");
  }
  await t.rejects(safeWriteFile(target, chunks(), { signal: controller.signal }), { name: "AbortError" });
  t.equal(during.length, 2, `the temporary file was there while writing (${during})`);
  t.same(after, ["target"], "and gone as abort() returned");
  t.equal(readFileSync(target, "utf8"), "old", "the target is as it was");
  t.same(readdirSync(dir), ["target"], "nothing is left");
});
