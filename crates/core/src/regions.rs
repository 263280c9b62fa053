//! Region display names, as CloudWatch writes them in SNS alarm messages.

/// The region code for a display name such as `US East (N. Virginia)` or
/// `EU (Ireland)`, or `None` if unknown. Codes (`us-east-1`) map to themselves.
pub(crate) fn region_code(display: &str) -> Option<&'static str> {
    let wanted = display.trim();
    REGIONS.iter().find_map(|(code, names)| {
        (wanted.eq_ignore_ascii_case(code) || names.iter().any(|n| n.eq_ignore_ascii_case(wanted)))
            .then_some(*code)
    })
}

const REGIONS: &[(&str, &[&str])] = &[
    ("us-east-1", &["US East (N. Virginia)"]),
    ("us-east-2", &["US East (Ohio)"]),
    ("us-west-1", &["US West (N. California)"]),
    ("us-west-2", &["US West (Oregon)"]),
    ("af-south-1", &["Africa (Cape Town)"]),
    ("ap-east-1", &["Asia Pacific (Hong Kong)"]),
    ("ap-east-2", &["Asia Pacific (Taipei)"]),
    ("ap-south-1", &["Asia Pacific (Mumbai)"]),
    ("ap-south-2", &["Asia Pacific (Hyderabad)"]),
    ("ap-southeast-1", &["Asia Pacific (Singapore)"]),
    ("ap-southeast-2", &["Asia Pacific (Sydney)"]),
    ("ap-southeast-3", &["Asia Pacific (Jakarta)"]),
    ("ap-southeast-4", &["Asia Pacific (Melbourne)"]),
    ("ap-southeast-5", &["Asia Pacific (Malaysia)"]),
    ("ap-southeast-7", &["Asia Pacific (Thailand)"]),
    ("ap-northeast-1", &["Asia Pacific (Tokyo)"]),
    ("ap-northeast-2", &["Asia Pacific (Seoul)"]),
    (
        "ap-northeast-3",
        &["Asia Pacific (Osaka)", "Asia Pacific (Osaka-Local)"],
    ),
    ("ca-central-1", &["Canada (Central)"]),
    ("ca-west-1", &["Canada West (Calgary)"]),
    ("eu-central-1", &["EU (Frankfurt)", "Europe (Frankfurt)"]),
    ("eu-central-2", &["EU (Zurich)", "Europe (Zurich)"]),
    ("eu-west-1", &["EU (Ireland)", "Europe (Ireland)"]),
    ("eu-west-2", &["EU (London)", "Europe (London)"]),
    ("eu-west-3", &["EU (Paris)", "Europe (Paris)"]),
    ("eu-north-1", &["EU (Stockholm)", "Europe (Stockholm)"]),
    ("eu-south-1", &["EU (Milan)", "Europe (Milan)"]),
    ("eu-south-2", &["EU (Spain)", "Europe (Spain)"]),
    ("il-central-1", &["Israel (Tel Aviv)"]),
    ("me-south-1", &["Middle East (Bahrain)"]),
    ("me-central-1", &["Middle East (UAE)"]),
    ("mx-central-1", &["Mexico (Central)"]),
    (
        "sa-east-1",
        &["South America (Sao Paulo)", "South America (São Paulo)"],
    ),
    (
        "us-gov-west-1",
        &["AWS GovCloud (US-West)", "AWS GovCloud (US)"],
    ),
    ("us-gov-east-1", &["AWS GovCloud (US-East)"]),
    ("cn-north-1", &["China (Beijing)"]),
    ("cn-northwest-1", &["China (Ningxia)"]),
];

#[cfg(test)]
mod tests {
    use super::region_code;

    #[test]
    fn display_names_and_codes_resolve() {
        assert_eq!(region_code("US East (N. Virginia)"), Some("us-east-1"));
        assert_eq!(region_code("EU (Ireland)"), Some("eu-west-1"));
        assert_eq!(region_code("eu-west-1"), Some("eu-west-1"));
        assert_eq!(region_code("Atlantis"), None);
    }
}
