//! Content types: HTML pages under every status, and JSON under a missing,
//! wrong or undecodable `Content-Type`.

use super::*;

#[tokio::test]
async fn html_page_with_200_is_an_invalid_response_with_its_content_type() {
    for op in OPS {
        let e = expect_invalid(against(op, 200, &[HTML], CLOUDFLARE_1010).await, 200, op);
        assert_eq!(e.content_type.as_deref(), Some("text/html; charset=UTF-8"));
        assert!(e.excerpt.starts_with("<!DOCTYPE html>"), "{}", e.excerpt);
        assert_eq!(e.body_len, CLOUDFLARE_1010.len());
        let text = Error::InvalidResponse(e).to_string();
        assert!(
            text.contains("text/html") && text.contains("Error 1010"),
            "{text}"
        );
    }
}

#[tokio::test]
async fn html_page_with_403_is_an_api_error_with_the_page() {
    for op in OPS {
        let e = expect_api(against(op, 403, &[HTML], CLOUDFLARE_1010).await, 403, op);
        assert!(e.errors.is_empty());
        assert_eq!(
            e.body_kind,
            BodyKind::Other {
                content_type: Some("text/html; charset=UTF-8".into())
            }
        );
        assert_eq!(e.body, CLOUDFLARE_1010);
        assert!(e.to_string().contains("text/html"), "{e}");
    }
}

#[tokio::test]
async fn html_page_with_502_is_an_api_error_with_the_page() {
    let page = "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>cloudflare</center></body></html>";
    for op in OPS {
        let e = expect_api(against(op, 502, &[HTML], page).await, 502, op);
        assert_eq!(
            e.body_kind,
            BodyKind::Other {
                content_type: Some("text/html; charset=UTF-8".into())
            }
        );
        assert_eq!(e.body, page);
        // A failed token exchange may have spent the code: never "try again".
        let advice = e.advice().unwrap_or_default();
        if e.operation == "token" {
            assert!(advice.contains("start a new login"), "{advice}");
        } else {
            assert_eq!(advice, "Upstox had a problem: try again later");
        }
    }
}

#[tokio::test]
async fn missing_or_wrong_content_type_on_valid_json_is_decoded_by_its_body() {
    // The decoders go by the body, as the contract asks (parse leniently):
    // a JSON success under a missing or wrong Content-Type still succeeds.
    for headers in [
        &[][..],
        &[("content-type", "text/html")][..],
        &[("content-type", "text/plain; charset=iso-8859-1")][..],
        &[("content-type", "application/octet-stream")][..],
        &[("content-type", "")][..],
    ] {
        for op in OPS {
            let result = against(op, 200, headers, op.success_body().to_string()).await;
            assert!(result.is_ok(), "{op:?} {headers:?}: {result:?}");
        }
    }
}

#[tokio::test]
async fn missing_content_type_on_a_bad_body_is_reported_as_none() {
    for op in OPS {
        let e = expect_invalid(against(op, 200, &[], "not json").await, 200, op);
        assert_eq!(e.content_type, None);
        assert!(Error::InvalidResponse(e)
            .to_string()
            .contains("no content type"));
        let e = expect_api(against(op, 400, &[], "Bad Request").await, 400, op);
        assert_eq!(e.body_kind, BodyKind::Other { content_type: None });
        assert!(e.to_string().contains("untyped"), "{e}");
    }
}

#[tokio::test]
async fn an_envelope_under_a_wrong_content_type_is_still_read() {
    for op in OPS {
        let e = expect_api(
            against(
                op,
                401,
                &[("content-type", "text/plain")],
                envelope("UDAPI100050", "Invalid token used to access API").to_string(),
            )
            .await,
            401,
            op,
        );
        assert_eq!(e.body_kind, BodyKind::Envelope);
        assert_eq!(e.code(), Some(&ErrorCode::InvalidToken));
    }
}

#[tokio::test]
async fn content_type_header_that_is_not_utf8_is_kept_lossily() {
    let mut response = b"HTTP/1.1 403 Forbidden\r\ncontent-type: text/html; charset=\xff\xfe\r\ncontent-length: 6\r\nconnection: close\r\n\r\n".to_vec();
    response.extend_from_slice(b"denied");
    let server = RawServer::reply(response).await;
    let e = expect_api(
        Op::Logout.call(&client(server.base_url())).await,
        403,
        Op::Logout,
    );
    assert_eq!(
        e.body_kind,
        BodyKind::Other {
            content_type: Some("text/html; charset=\u{fffd}\u{fffd}".into())
        }
    );
    assert_eq!(e.body, "denied");
    assert_eq!(server.finish().await, 1);
}

const CLOUDFLARE_1010: &str = "<!DOCTYPE html>\n<html><head><title>Access denied | api.upstox.com used Cloudflare to restrict access</title></head>\n<body><h1>Error 1010</h1><p>The owner of this website (api.upstox.com) has banned your access based on your browser's signature.</p></body></html>";
