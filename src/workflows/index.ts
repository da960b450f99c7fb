// Workflow bundle entry: every workflow type the worker serves.
export { backup } from './backup.js';
export { listLibrary } from './list-library.js';
export { pick } from './pick.js';
export { importTakeout } from './import-takeout.js';
