import './heap';
import { runProcess } from './run';

/** Entry point: settings, then the server, then a clean stop on SIGTERM or SIGINT (run.ts). */
await runProcess();
