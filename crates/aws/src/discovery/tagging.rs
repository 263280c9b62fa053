//! Resources that share the alarm's service tag, through the Resource
//! Groups Tagging API (`GetResources`, paged): the way in for DynamoDB
//! tables and custom namespaces, whose metrics name no log group, and a
//! wider net for every other alarm. Each is named in the topology; those
//! whose kind has a log group bring it, weighed 0.6: Lambda functions
//! (their logging configuration), log groups themselves (tagged), state
//! machines (`/aws/vendedlogs/states/NAME`, checked for existence).

use aws_sdk_resourcegroupstagging::types::TagFilter;

use super::Clients;
use super::arn::Arn;
use super::lambda;
use super::session::{Phase, Session};

const MAX_PAGES: usize = 2;
const PAGE_SIZE: i32 = 50;
const WEIGHT: f64 = 0.6;

pub async fn same_service(clients: &Clients, session: &mut Session, key: &str, value: &str) {
    let filter = TagFilter::builder().key(key).values(value).build();
    let tag = format!("{key}={value}");
    let mut token: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let asked = session
            .call(
                Phase::Explore,
                "GetResources",
                clients
                    .tagging
                    .get_resources()
                    .tag_filters(filter.clone())
                    .resources_per_page(PAGE_SIZE)
                    .set_pagination_token(token.take())
                    .send(),
            )
            .await;
        let out = match asked {
            Ok(out) => out,
            Err(missed) => {
                session.note("service tag", &tag, "the resources sharing it", &missed);
                return;
            }
        };
        for mapping in out.resource_tag_mapping_list() {
            let Some(arn) = mapping.resource_arn().and_then(Arn::parse) else {
                continue;
            };
            // The alarm itself, and its siblings, carry the tag too.
            if arn.service == "cloudwatch" {
                continue;
            }
            let (kind, name) = arn.kind_and_name();
            let why = format!("shares the tag {tag}");
            session.add_resource(&kind, &name, why.clone());
            match kind.as_str() {
                "lambda function" => lambda::neighbour(clients, session, &name, &why, WEIGHT).await,
                "log group" => session.add_group(&name, format!("tagged {tag}"), WEIGHT, true),
                "state machine" => {
                    let group = format!("/aws/vendedlogs/states/{name}");
                    session.add_group(&group, format!("log group of {name}, {why}"), WEIGHT, false);
                }
                _ => {}
            }
        }
        // The last page has an empty token.
        match out.pagination_token() {
            Some(next) if !next.is_empty() => token = Some(next.to_owned()),
            _ => return,
        }
    }
}
