//! API Gateway (REST, Lambda proxy integration) as the template defines
//! it: resources, methods, their authorization and the function behind
//! each; a request becomes the proxy event API Gateway sends, with the
//! stage and the IAM caller in its request context.

use anyhow::{Result, anyhow, bail};
use serde_json::{Value, json};

use crate::template::Deployment;

#[derive(Debug, Clone)]
pub struct Route {
    /// `/approvals/{token}`
    pub path: String,
    pub method: String,
    pub authorization: String,
    /// The function the integration invokes.
    pub function: String,
}

#[derive(Debug, Clone)]
pub struct Gateway {
    pub api_id: String,
    pub stage: String,
    pub routes: Vec<Route>,
}

impl Gateway {
    /// The REST API of the template, if it has one.
    pub fn read(d: &Deployment) -> Result<Option<Self>> {
        let apis = d.of_kind("AWS::ApiGateway::RestApi");
        let Some(api) = apis.first() else {
            return Ok(None);
        };
        let root = d.attribute(api, "RootResourceId")?;
        let mut paths = std::collections::HashMap::new();
        paths.insert(root.clone(), String::new());
        let resources: Vec<(String, Value)> = d
            .of_kind("AWS::ApiGateway::Resource")
            .into_iter()
            .map(|id| Ok((d.reference(&id)?, d.properties(&id)?)))
            .collect::<Result<_>>()?;
        // Parents first: repeat until every resource has its path.
        for _ in 0..resources.len() + 1 {
            for (id, props) in &resources {
                let parent = props["ParentId"].as_str().unwrap_or_default();
                if let Some(parent_path) = paths.get(parent).cloned() {
                    let part = props["PathPart"].as_str().unwrap_or_default();
                    paths.insert(id.clone(), format!("{parent_path}/{part}"));
                }
            }
        }
        let mut routes = Vec::new();
        for id in d.of_kind("AWS::ApiGateway::Method") {
            let props = d.properties(&id)?;
            let resource = props["ResourceId"].as_str().unwrap_or(&root);
            let path = paths
                .get(resource)
                .cloned()
                .ok_or_else(|| anyhow!("method {id}: its resource has no path"))?;
            let uri = props.pointer("/Integration/Uri").and_then(Value::as_str).unwrap_or_default();
            let function = uri
                .split(":function:")
                .nth(1)
                .and_then(|r| r.split('/').next())
                .unwrap_or_default()
                .to_owned();
            routes.push(Route {
                path: if path.is_empty() { "/".into() } else { path },
                method: props["HttpMethod"].as_str().unwrap_or("ANY").to_owned(),
                authorization: props["AuthorizationType"].as_str().unwrap_or("NONE").to_owned(),
                function,
            });
        }
        let stage = d
            .of_kind("AWS::ApiGateway::Stage")
            .first()
            .map(|id| d.reference(id))
            .transpose()?
            .unwrap_or_else(|| "prod".into());
        Ok(Some(Self {
            api_id: d.reference(api)?,
            stage,
            routes,
        }))
    }

    /// The route of a request, with its path parameters.
    pub fn route(&self, method: &str, path: &str) -> Option<(&Route, Value)> {
        let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
        self.routes.iter().find_map(|r| {
            if r.method != method && r.method != "ANY" {
                return None;
            }
            let pattern: Vec<&str> = r.path.trim_matches('/').split('/').collect();
            if pattern.len() != parts.len() {
                return None;
            }
            let mut params = serde_json::Map::new();
            for (p, actual) in pattern.iter().zip(&parts) {
                if let Some(name) = p.strip_prefix('{').and_then(|n| n.strip_suffix('}')) {
                    params.insert(name.to_owned(), json!(actual));
                } else if p != actual {
                    return None;
                }
            }
            Some((r, if params.is_empty() { Value::Null } else { Value::Object(params) }))
        })
    }

    /// The proxy event API Gateway sends for a request signed by `caller`
    /// (an IAM ARN), or an error when the route refuses it.
    pub fn event(
        &self,
        method: &str,
        path: &str,
        body: &str,
        caller: Option<&str>,
        account: &str,
    ) -> Result<(String, Value)> {
        let Some((route, params)) = self.route(method, path) else {
            bail!("API Gateway: no route {method} {path} (403 Missing Authentication Token)");
        };
        if route.authorization == "AWS_IAM" && caller.is_none() {
            bail!("API Gateway: {method} {path} needs a SigV4 signature (AWS_IAM)");
        }
        let user = caller.unwrap_or_default();
        let headers = json!({
            "Accept": "application/json, text/event-stream",
            "Content-Type": "application/json",
            "Host": format!("{}.execute-api.local.amazonaws.com", self.api_id),
        });
        let multi: serde_json::Map<String, Value> = headers
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.clone(), json!([v])))
            .collect();
        let event = json!({
            "resource": route.path,
            "path": path,
            "httpMethod": method,
            "headers": headers,
            "multiValueHeaders": multi,
            "queryStringParameters": null,
            "multiValueQueryStringParameters": null,
            "pathParameters": params,
            "stageVariables": null,
            "requestContext": {
                "resourceId": "aws-local",
                "resourcePath": route.path,
                "httpMethod": method,
                "path": format!("/{}{}", self.stage, path),
                "accountId": account,
                "protocol": "HTTP/1.1",
                "stage": self.stage,
                "requestId": format!("aws-local-{}", chrono::Utc::now().timestamp_micros()),
                "requestTimeEpoch": chrono::Utc::now().timestamp_millis(),
                "identity": {
                    "accountId": account,
                    "caller": "AIDAAWSLOCAL",
                    "sourceIp": "127.0.0.1",
                    "accessKey": "AKIAAWSLOCALCALLER00",
                    "userArn": if user.is_empty() { Value::Null } else { json!(user) },
                    "user": "AIDAAWSLOCAL",
                    "userAgent": "aws-local"
                },
                "domainName": format!("{}.execute-api.local.amazonaws.com", self.api_id),
                "apiId": self.api_id
            },
            "body": body,
            "isBase64Encoded": false
        });
        Ok((route.function.clone(), event))
    }
}
