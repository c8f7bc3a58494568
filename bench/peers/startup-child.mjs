// One start-up peer child: load zeromq (what a strmbrkr worker loads), report ready, exit when the parent lets go.
import "zeromq";

process.send("ready");
process.on("disconnect", () => process.exit(0));
