// Workflow bundle entry: every workflow type the worker serves.
export { listLibrary } from './list-library.js';
