//! The harness itself: the registry starts, answers the API and stops.

use skiff_integration::Registry;

#[test]
fn anonymous_registry_answers_the_v2_ping() {
    let registry = Registry::anonymous();
    let status = registry.get_status("/v2/");
    assert!(
        status.contains(" 200 "),
        "GET /v2/ answered {status:?}; log:\n{}",
        registry.log()
    );
}

#[test]
fn unknown_repository_is_not_found() {
    let registry = Registry::anonymous();
    let status = registry.get_status("/v2/no/such/tags/list");
    assert!(
        status.contains(" 404 "),
        "answered {status:?}; log:\n{}",
        registry.log()
    );
}
