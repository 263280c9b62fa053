#!/usr/bin/env node
// cdk synth -c env=dev|stage|prod  (after `make package`)
import { App } from 'aws-cdk-lib';

import { build, MissingPackages } from '../lib/app.js';

const app = new App();
try {
  build(app);
} catch (error) {
  if (!(error instanceof MissingPackages)) {
    throw error;
  }
  console.error(error.message);
  process.exit(1);
}
app.synth();
