#!/usr/bin/env node
// The `lookalike` command: the TypeScript CLI run through tsx's loader.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
