/** One environment of incident-responder: storage, secrets, pipeline, API, observability. */
import { CfnOutput, Stack, type StackProps, Tags } from 'aws-cdk-lib';
import { Construct } from 'constructs';

import { Api } from './api.js';
import type { EnvConfig } from './config.js';
import { Observability } from './observability.js';
import { Pipeline } from './pipeline.js';
import { Secrets } from './secrets.js';
import { Storage } from './storage.js';

export interface IncidentResponderProps extends StackProps {
  readonly config: EnvConfig;
  /** The folder of `<crate>/bootstrap.zip` files (`make package`: `target/lambda`). */
  readonly assetsDir: string;
}

export class IncidentResponderStack extends Stack {
  readonly storage: Storage;
  readonly secrets: Secrets;
  readonly pipeline: Pipeline;
  readonly api: Api;
  readonly observability: Observability;

  constructor(scope: Construct, id: string, props: IncidentResponderProps) {
    super(scope, id, props);
    const { config } = props;
    Tags.of(this).add('application', 'incident-responder');
    Tags.of(this).add('environment', config.name);

    this.storage = new Storage(this, 'Storage', config);
    this.secrets = new Secrets(this, 'Secrets', config);
    this.pipeline = new Pipeline(this, 'Pipeline', {
      config,
      storage: this.storage,
      secrets: this.secrets,
      assetsDir: props.assetsDir,
    });
    const handler = this.pipeline.functions.api;
    if (!handler) {
      throw new Error('functions.ts lists no api function');
    }
    this.api = new Api(this, 'Api', { config, handler });
    this.observability = new Observability(this, 'Observability', {
      config,
      stateMachine: this.pipeline.stateMachine,
      deadLetterQueue: this.pipeline.deadLetterQueue,
      functions: this.pipeline.functions,
    });

    new CfnOutput(this, 'ApiUrl', { value: this.api.restApi.url, description: 'The API; MCP at <url>mcp' });
    new CfnOutput(this, 'InvokePolicyArn', { value: this.api.invokePolicy.managedPolicyArn, description: 'Attach to callers' });
    new CfnOutput(this, 'StateMachineArn', { value: this.pipeline.stateMachine.stateMachineArn });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: this.pipeline.deadLetterQueue.queueUrl });
    for (const [name, secret] of Object.entries(this.secrets.secrets)) {
      new CfnOutput(this, `${name[0]!.toUpperCase()}${name.slice(1)}SecretArn`, { value: secret.secretArn });
    }
  }
}
