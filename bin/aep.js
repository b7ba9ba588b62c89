#!/usr/bin/env node
// Launcher for the `aep` CLI: registers the TypeScript loader, then runs bin/cli.ts.
import { register } from 'tsx/esm/api';

register();
await import('./cli.ts');
