// workerpool's child process: `echo` returns its argument.
import workerpool from "workerpool";

workerpool.worker({ echo: (n) => n });
