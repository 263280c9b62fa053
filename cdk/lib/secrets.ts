/**
 * The secrets: Slack, Jira and the API's own, each a JSON object of the
 * secret variables `crates/aws/src/secrets.rs` accepts. They deploy empty
 * (`{}`: the channel writes to the S3 outbox) except the link secret, which
 * is generated; people put the real values in with `put-secret-value`
 * (docs/operations.md).
 */
import { SecretValue, Validations } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

import type { EnvConfig } from './config.js';

export type SecretName = 'slack' | 'jira' | 'api';

export class Secrets extends Construct {
  readonly secrets: Record<SecretName, secretsmanager.Secret>;

  constructor(scope: Construct, id: string, config: EnvConfig) {
    super(scope, id);
    const empty = (id: string, description: string) =>
      new secretsmanager.Secret(this, id, {
        description,
        // An empty JSON object, not a secret: the channel stays off.
        secretStringValue: SecretValue.unsafePlainText('{}'),
        removalPolicy: config.removalPolicy,
      });
    this.secrets = {
      slack: empty('Slack', 'incident-responder: SLACK_BOT_TOKEN and SLACK_CHANNEL (or SLACK_WEBHOOK_URL), SLACK_SIGNING_SECRET'),
      jira: empty('Jira', 'incident-responder: JIRA_BASE_URL, JIRA_EMAIL, JIRA_API_TOKEN, JIRA_PROJECT'),
      api: new secretsmanager.Secret(this, 'Api', {
        description: 'incident-responder: LINK_SECRET (generated) signs e-mail approval links; WEBHOOK_TOKEN guards /webhooks',
        generateSecretString: {
          secretStringTemplate: '{}',
          generateStringKey: 'LINK_SECRET',
          passwordLength: 48,
          excludePunctuation: true,
        },
        removalPolicy: config.removalPolicy,
      }),
    };
    for (const secret of Object.values(this.secrets)) {
      Validations.of(secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'Slack and Jira tokens are issued by those vendors and rotated by hand (docs/operations.md); the link secret is rotated the same way, which voids unexpired approval links.',
      });
    }
  }
}
