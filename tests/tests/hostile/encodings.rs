//! Encodings that were not asked for.

use super::*;

/// `{"status":"success","data":true}`, gzipped.
const GZIPPED_LOGOUT: &[u8] = &[
    0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xab, 0x56, 0x2a, 0x2e, 0x49, 0x2c,
    0x29, 0x2d, 0x56, 0xb2, 0x52, 0x2a, 0x2e, 0x4d, 0x4e, 0x4e, 0x2d, 0x2e, 0x56, 0xd2, 0x51, 0x4a,
    0x49, 0x2c, 0x49, 0x54, 0xb2, 0x2a, 0x29, 0x2a, 0x4d, 0xad, 0x05, 0x00, 0x2b, 0x2e, 0x1c, 0x24,
    0x20, 0x00, 0x00, 0x00,
];

#[tokio::test]
async fn gzip_claimed_but_not_sent_is_an_invalid_response() {
    // The client never asks for gzip; a body labelled gzip is not what it
    // asked for, and the label says the bytes are not the JSON they look like.
    for op in OPS {
        let e = expect_invalid(
            against(
                op,
                200,
                &[JSON, ("content-encoding", "gzip")],
                op.success_body().to_string(),
            )
            .await,
            200,
            op,
        );
        assert!(e.reason.contains("gzip"), "{}", e.reason);
    }
}

#[tokio::test]
async fn gzip_sent_unasked_is_an_invalid_response() {
    let e = expect_invalid(
        against(
            Op::Logout,
            200,
            &[JSON, ("content-encoding", "gzip")],
            GZIPPED_LOGOUT,
        )
        .await,
        200,
        Op::Logout,
    );
    assert!(e.reason.contains("gzip"), "{}", e.reason);
    assert_eq!(e.body_len, GZIPPED_LOGOUT.len());
}

#[tokio::test]
async fn identity_content_encoding_is_fine() {
    for op in OPS {
        let result = against(
            op,
            200,
            &[JSON, ("content-encoding", "identity")],
            op.success_body().to_string(),
        )
        .await;
        assert!(result.is_ok(), "{op:?}: {result:?}");
    }
}
