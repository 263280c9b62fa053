/**
 * The API: a REST API in front of the `api` function. The MCP, tools and
 * events routes (and `/`, `/health`, `/ready`) take AWS_IAM (SigV4); the
 * Slack interactions, the webhooks and the e-mail approval links cannot
 * sign requests, so the function checks them itself (Slack's signature, a
 * bearer token, a signed expiring link). Throttling, access logs, a managed
 * policy for the people and roles that call it, and optionally a resource
 * policy that admits only some source addresses.
 */
import { Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

import type { EnvConfig } from './config.js';

/** The routes, their methods, and whether API Gateway checks SigV4. */
export const ROUTES: readonly { path: string; methods: string[]; iam: boolean }[] = [
  { path: '/', methods: ['GET'], iam: true },
  { path: '/health', methods: ['GET'], iam: true },
  { path: '/ready', methods: ['GET'], iam: true },
  { path: '/mcp', methods: ['POST', 'GET', 'DELETE'], iam: true },
  { path: '/tools', methods: ['GET'], iam: true },
  { path: '/tools/{name}', methods: ['POST'], iam: true },
  { path: '/events', methods: ['POST'], iam: true },
  { path: '/webhooks/{sender}', methods: ['POST'], iam: false },
  { path: '/slack/interactions', methods: ['POST'], iam: false },
  { path: '/approvals/{token}', methods: ['GET', 'POST'], iam: false },
];

export interface ApiProps {
  readonly config: EnvConfig;
  readonly handler: lambda.IFunction;
}

export class Api extends Construct {
  readonly restApi: apigateway.RestApi;
  /** Attach it to the users and roles that call the API with SigV4. */
  readonly invokePolicy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);
    const { config } = props;
    const accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: config.logRetention,
      removalPolicy: config.removalPolicy,
    });
    const sourcePolicy =
      config.allowedSourceCidrs.length === 0
        ? undefined
        : new iam.PolicyDocument({
            statements: [
              new iam.PolicyStatement({
                effect: iam.Effect.ALLOW,
                principals: [new iam.AnyPrincipal()],
                actions: ['execute-api:Invoke'],
                resources: ['execute-api:/*'],
              }),
              new iam.PolicyStatement({
                effect: iam.Effect.DENY,
                principals: [new iam.AnyPrincipal()],
                actions: ['execute-api:Invoke'],
                resources: ['execute-api:/*'],
                conditions: { NotIpAddress: { 'aws:SourceIp': [...config.allowedSourceCidrs] } },
              }),
            ],
          });
    this.restApi = new apigateway.RestApi(this, 'RestApi', {
      restApiName: `incident-responder-${config.name}`,
      description: 'incident-responder: MCP server, tools, alert intake, Slack interactions and approval links',
      endpointTypes: [apigateway.EndpointType.REGIONAL],
      policy: sourcePolicy,
      cloudWatchRole: true,
      deployOptions: {
        stageName: config.name,
        throttlingRateLimit: config.apiThrottle.rateLimit,
        throttlingBurstLimit: config.apiThrottle.burstLimit,
        loggingLevel: apigateway.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        tracingEnabled: true,
        accessLogDestination: new apigateway.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigateway.AccessLogFormat.jsonWithStandardFields({
          caller: true,
          httpMethod: true,
          ip: true,
          protocol: true,
          requestTime: true,
          resourcePath: true,
          responseLength: true,
          status: true,
          user: true,
        }),
      },
    });
    const integration = new apigateway.LambdaIntegration(props.handler, { proxy: true });
    const signed: string[] = [];
    for (const route of ROUTES) {
      const resource = route.path === '/' ? this.restApi.root : this.restApi.root.resourceForPath(route.path);
      for (const method of route.methods) {
        const added = resource.addMethod(method, integration, {
          authorizationType: route.iam ? apigateway.AuthorizationType.IAM : apigateway.AuthorizationType.NONE,
        });
        if (route.iam) {
          // A path parameter matches any segment: `/tools/{name}` → `/tools/*`.
          signed.push(this.restApi.arnForExecuteApi(method, route.path.replace(/\{[^}]+\}/g, '*'), config.name));
        } else {
          Validations.of(added).acknowledge({
            id: 'AwsSolutions-APIG4',
            reason: `${route.path} is called by Slack, Alertmanager, Grafana or an e-mail client, which cannot sign with SigV4; the function checks Slack's signature, a bearer token or a signed expiring link, in constant time.`,
          });
          Validations.of(added).acknowledge({ id: 'AwsSolutions-COG4', reason: 'Not a Cognito API: see APIG4 on this method.' });
        }
      }
    }
    this.invokePolicy = new iam.ManagedPolicy(this, 'InvokePolicy', {
      description: `Call the incident-responder ${config.name} API (MCP, tools, events) with SigV4`,
      statements: [new iam.PolicyStatement({ actions: ['execute-api:Invoke'], resources: signed })],
    });
    Validations.of(this.restApi).acknowledge({
      id: 'AwsSolutions-COG4',
      reason: 'The API authorizes with AWS_IAM (SigV4), which this rule does not recognize; there are no Cognito users.',
    });
    Validations.of(this.restApi).acknowledge({
      id: 'AwsSolutions-APIG2',
      reason: 'The function validates every body against its typed arguments and refuses unknown fields, with errors that name them.',
    });
    Validations.of(this.restApi).acknowledge({
      id: 'AwsSolutions-APIG3',
      reason: 'Callers are IAM principals (SigV4) or checked by signature in the function, and the stage is throttled; attach a WAF web ACL per account if required.',
    });
    Validations.of(this.restApi).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      reason: "API Gateway's account-level CloudWatch role uses the AWS managed AmazonAPIGatewayPushToCloudWatchLogs policy, as the service documents.",
    });
  }
}
