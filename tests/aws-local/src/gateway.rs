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
    pub region: String,
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
            let uri = props
                .pointer("/Integration/Uri")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let function = uri
                .split(":function:")
                .nth(1)
                .and_then(|r| r.split('/').next())
                .unwrap_or_default()
                .to_owned();
            routes.push(Route {
                path: if path.is_empty() { "/".into() } else { path },
                method: props["HttpMethod"].as_str().unwrap_or("ANY").to_owned(),
                authorization: props["AuthorizationType"]
                    .as_str()
                    .unwrap_or("NONE")
                    .to_owned(),
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
            region: d.region.clone(),
            api_id: d.reference(api)?,
            stage,
            routes,
        }))
    }

    /// The host name API Gateway serves the API on (and passes on as `Host`).
    pub fn domain(&self) -> String {
        format!("{}.execute-api.{}.amazonaws.com", self.api_id, self.region)
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
            Some((
                r,
                if params.is_empty() {
                    Value::Null
                } else {
                    Value::Object(params)
                },
            ))
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
        client_headers: &[(String, String)],
    ) -> Result<(String, Value)> {
        let Some((route, params)) = self.route(method, path) else {
            bail!("API Gateway: no route {method} {path} (403 Missing Authentication Token)");
        };
        if route.authorization == "AWS_IAM" && caller.is_none() {
            bail!("API Gateway: {method} {path} needs a SigV4 signature (AWS_IAM)");
        }
        let user = caller.unwrap_or_default();
        let mut headers = json!({
            "Accept": "application/json, text/event-stream",
            "Content-Type": "application/json",
        });
        for (k, v) in client_headers {
            // API Gateway passes the client's headers, not its signature.
            if !matches!(
                k.to_ascii_lowercase().as_str(),
                "authorization" | "host" | "content-length"
            ) {
                headers[k.as_str()] = json!(v);
            }
        }
        headers["Host"] = json!(self.domain());
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
                "domainName": self.domain(),
                "apiId": self.api_id
            },
            "body": body,
            "isBase64Encoded": false
        });
        Ok((route.function.clone(), event))
    }
}

/// The identity API Gateway's `AWS_IAM` authorization knows: an access key
/// of the approver, whose calls arrive with its ARN in the request context.
pub const APPROVER_KEY: &str = "AKIAAWSLOCALAPPROVER";
pub const APPROVER_SECRET: &str = "aws-local-approver-secret";

/// API Gateway's HTTP side, on 127.0.0.1: `/{stage}/...` routed as the
/// template says, `AWS_IAM` methods checked with SigV4 (`execute-api`),
/// each request handed to its function as the proxy event.
pub struct Front {
    pub gateway: Gateway,
    pub verifier: responder_api::sigv4::Verifier,
    pub account: String,
    pub runtimes: std::collections::BTreeMap<String, std::sync::Arc<crate::runtime::Runtime>>,
}

impl std::fmt::Debug for Front {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Front")
            .field("api", &self.gateway.api_id)
            .finish()
    }
}

impl Front {
    pub fn new(
        gateway: Gateway,
        account: &str,
        runtimes: std::collections::BTreeMap<String, std::sync::Arc<crate::runtime::Runtime>>,
    ) -> Self {
        let mut credentials = std::collections::HashMap::new();
        credentials.insert(
            APPROVER_KEY.to_owned(),
            responder_api::sigv4::Credential {
                name: format!("arn:aws:iam::{account}:user/aws-local-approver"),
                secret_access_key: APPROVER_SECRET.to_owned(),
                session_token: None,
            },
        );
        let verifier =
            responder_api::sigv4::Verifier::new("execute-api", gateway.region.clone(), credentials);
        Self {
            gateway,
            verifier,
            account: account.to_owned(),
            runtimes,
        }
    }
}

fn gateway_error(
    status: axum::http::StatusCode,
    kind: &str,
    message: &str,
) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    (
        status,
        [
            ("content-type", "application/json"),
            ("x-amzn-errortype", kind),
        ],
        json!({"message": message}).to_string(),
    )
        .into_response()
}

pub async fn serve_request(
    axum::extract::State(front): axum::extract::State<std::sync::Arc<Front>>,
    request: axum::extract::Request,
) -> axum::response::Response {
    use axum::http::StatusCode;
    use http_body_util::BodyExt as _;
    let (parts, body) = request.into_parts();
    let Ok(body) = body.collect().await.map(|b| b.to_bytes()) else {
        return gateway_error(
            StatusCode::BAD_REQUEST,
            "BadRequestException",
            "unreadable body",
        );
    };
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
        .collect();
    let full_path = parts.uri.path().to_owned();
    let prefix = format!("/{}", front.gateway.stage);
    let Some(path) = full_path
        .strip_prefix(&prefix)
        .map(|p| if p.is_empty() { "/" } else { p })
    else {
        return gateway_error(
            StatusCode::FORBIDDEN,
            "MissingAuthenticationTokenException",
            "Missing Authentication Token",
        );
    };
    let method = parts.method.as_str();
    let Some((route, _)) = front.gateway.route(method, path) else {
        return gateway_error(
            StatusCode::FORBIDDEN,
            "MissingAuthenticationTokenException",
            "Missing Authentication Token",
        );
    };
    let mut caller = None;
    if route.authorization == "AWS_IAM" {
        let pairs: Vec<(&str, &str)> = headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let verified = front.verifier.verify(&responder_api::sigv4::Request {
            method,
            path: &full_path,
            query: parts.uri.query().unwrap_or_default(),
            headers: &pairs,
            body: &body,
        });
        match verified {
            Ok(c) => caller = Some(c.name),
            Err(denied) => {
                return gateway_error(StatusCode::FORBIDDEN, denied.kind.as_str(), &denied.message);
            }
        }
    }
    let text = String::from_utf8_lossy(&body);
    let (function, event) = match front.gateway.event(
        method,
        path,
        &text,
        caller.as_deref(),
        &front.account,
        &headers,
    ) {
        Ok(x) => x,
        Err(e) => {
            return gateway_error(
                StatusCode::FORBIDDEN,
                "AccessDeniedException",
                &e.to_string(),
            );
        }
    };
    let Some(runtime) = front.runtimes.get(&function) else {
        return gateway_error(
            StatusCode::BAD_GATEWAY,
            "InternalServerErrorException",
            "the integration's function is not in the template",
        );
    };
    let response = match runtime.invoke(event).await {
        crate::runtime::Outcome::Response(v) => v,
        crate::runtime::Outcome::Error(..) => {
            return gateway_error(
                StatusCode::BAD_GATEWAY,
                "InternalServerErrorException",
                "Internal server error",
            );
        }
    };
    let status = response["statusCode"]
        .as_u64()
        .and_then(|s| u16::try_from(s).ok())
        .unwrap_or(502);
    let mut builder = axum::http::Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY));
    for (k, v) in response["headers"].as_object().into_iter().flatten() {
        if let Some(v) = v.as_str() {
            builder = builder.header(k.as_str(), v);
        }
    }
    let body = response["body"].as_str().unwrap_or_default();
    let body = if response["isBase64Encoded"].as_bool() == Some(true) {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD
            .decode(body)
            .unwrap_or_default()
    } else {
        body.as_bytes().to_vec()
    };
    builder
        .body(axum::body::Body::from(body))
        .unwrap_or_else(|_| {
            gateway_error(
                StatusCode::BAD_GATEWAY,
                "InternalServerErrorException",
                "a response it cannot pass on",
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gateway() -> Gateway {
        let route = |path: &str, method: &str, authorization: &str| Route {
            path: path.into(),
            method: method.into(),
            authorization: authorization.into(),
            function: "api".into(),
        };
        Gateway {
            api_id: "abc123".into(),
            region: "us-east-1".into(),
            stage: "dev".into(),
            routes: vec![
                route("/mcp", "POST", "AWS_IAM"),
                route("/approvals/{token}", "GET", "NONE"),
            ],
        }
    }

    #[test]
    fn a_signed_request_becomes_the_proxy_event_with_stage_and_caller() {
        let (function, event) = gateway()
            .event(
                "POST",
                "/mcp",
                "{}",
                Some("arn:aws:iam::1:user/alice"),
                "1",
                &[],
            )
            .unwrap();
        assert_eq!(function, "api");
        assert_eq!(event["requestContext"]["stage"], "dev");
        assert_eq!(event["requestContext"]["path"], "/dev/mcp");
        assert_eq!(
            event["requestContext"]["identity"]["userArn"],
            "arn:aws:iam::1:user/alice"
        );
        assert_eq!(
            event["headers"]["Host"],
            "abc123.execute-api.us-east-1.amazonaws.com"
        );
    }

    #[test]
    fn path_parameters_are_read_and_an_unsigned_iam_route_is_refused() {
        let g = gateway();
        let (_, event) = g
            .event("GET", "/approvals/t0k", "", None, "1", &[])
            .unwrap();
        assert_eq!(event["pathParameters"]["token"], "t0k");
        assert!(g.event("POST", "/mcp", "{}", None, "1", &[]).is_err());
        assert!(
            g.event("DELETE", "/mcp", "", Some("arn:x"), "1", &[])
                .is_err()
        );
    }
}
