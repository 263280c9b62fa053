#!/usr/bin/env node
// cdk synth -c env=dev|stage|prod  (after `make package`)
import { App } from 'aws-cdk-lib';

import { build } from '../lib/app.js';

const app = new App();
build(app);
app.synth();
