//! The `Link: <...>; rel="next"` header that paginates tag and catalog listings (RFC 8288).

use http::HeaderMap;

/// The target of the `rel="next"` link in `headers`, exactly as written, if there is one.
pub(crate) fn next_link(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(http::header::LINK)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find_map(next_in_value)
}

/// The `rel="next"` target in one header value, which may hold several comma-separated links.
fn next_in_value(value: &str) -> Option<String> {
    let mut rest = value;
    loop {
        let open = rest.find('<')?;
        let close = open + rest[open..].find('>')?;
        let target = &rest[open + 1..close];
        let after = &rest[close + 1..];
        // Parameters run to the next link, which starts at a comma followed by `<`.
        let params_end = after
            .find(",")
            .filter(|&comma| after[comma + 1..].trim_start().starts_with('<'));
        let params = &after[..params_end.unwrap_or(after.len())];
        if params.split(';').any(is_rel_next) {
            return Some(target.to_owned());
        }
        rest = &after[params_end? + 1..];
    }
}

fn is_rel_next(param: &str) -> bool {
    let Some((name, value)) = param.split_once('=') else {
        return false;
    };
    name.trim().eq_ignore_ascii_case("rel")
        && value
            .trim()
            .trim_matches('"')
            .split_ascii_whitespace()
            .any(|rel| rel.eq_ignore_ascii_case("next"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_links_are_found_exactly_as_given() {
        let cases = [
            (
                r#"</v2/_catalog?last=b&n=2>; rel="next""#,
                Some("/v2/_catalog?last=b&n=2"),
            ),
            (
                r#"<https://r.example/v2/x/tags/list?next_page=opaque%3D%3D>;rel=next"#,
                Some("https://r.example/v2/x/tags/list?next_page=opaque%3D%3D"),
            ),
            (r#"</first>; rel="prev", </second>; rel="next""#, Some("/second")),
            (
                r#"</a,b>; rel="prev", </c>; title="x,y"; rel="next last""#,
                Some("/c"),
            ),
            (r#"</v2/_catalog?n=2>; REL="Next""#, Some("/v2/_catalog?n=2")),
            (r#"</only>; rel="prev""#, None),
            ("garbage", None),
            ("", None),
        ];
        for (value, expected) in cases {
            let mut headers = HeaderMap::new();
            headers.insert(http::header::LINK, value.parse().unwrap());
            assert_eq!(next_link(&headers).as_deref(), expected, "{value}");
        }
        assert_eq!(next_link(&HeaderMap::new()), None);
    }

    #[test]
    fn several_link_headers_are_searched() {
        let mut headers = HeaderMap::new();
        headers.append(http::header::LINK, r#"</p>; rel="prev""#.parse().unwrap());
        headers.append(http::header::LINK, r#"</n>; rel="next""#.parse().unwrap());
        assert_eq!(next_link(&headers).as_deref(), Some("/n"));
    }
}
