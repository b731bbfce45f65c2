import Run from './run.js';

/** oclif's explicit command map: commands are listed here, not discovered from the file system. */
export const commands = {
  run: Run,
};
