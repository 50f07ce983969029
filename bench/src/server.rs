//! The stand-in for Upstox's token endpoint: the contract's answer on
//! 127.0.0.1, in a process of its own with one thread (the client under test
//! has the other core of a 2-core machine). A request that breaks the
//! contract gets a 400, so a client that sends the wrong thing fails its run.

use std::io::{Read, Write};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};

/// The docs' example `TokenResponse` (with the missing comma fixed).
const TOKEN: &str = r#"{"email":"******","exchanges":["NSE","NFO","BSE","CDS","BFO","BCD"],"products":["D","CO","I"],"broker":"UPSTOX","user_id":"******","user_name":"******","order_types":["MARKET","LIMIT","SL","SL-M"],"user_type":"individual","poa":false,"is_active":true,"access_token":"bench-access-token","extended_token":"bench-extended-token"}"#;
const REJECTED: &str = r#"{"status":"error","errors":[{"error_code":"UDAPI100000","message":"not what the contract says"}]}"#;

/// Binds 127.0.0.1 on a port the kernel picks, prints the port, and serves
/// until stdin closes (the harness holds it open; the server never outlives it).
pub fn serve() -> Result<(), String> {
    std::thread::spawn(|| {
        let _ = std::io::stdin().read_to_end(&mut Vec::new());
        std::process::exit(0);
    });
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build();
    rt.map_err(|e| e.to_string())?.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await;
        let listener = listener.map_err(|e| format!("bind 127.0.0.1: {e}"))?;
        let port = listener.local_addr().map_err(|e| e.to_string())?.port();
        let mut stdout = std::io::stdout();
        let printed = writeln!(stdout, "{port}").and_then(|()| stdout.flush());
        printed.map_err(|e| e.to_string())?;
        loop {
            let (stream, _) = listener.accept().await.map_err(|e| e.to_string())?;
            let _ = stream.set_nodelay(true);
            let connection = hyper::server::conn::http1::Builder::new().serve_connection(
                hyper_util::rt::TokioIo::new(stream),
                hyper::service::service_fn(answer),
            );
            tokio::spawn(connection);
        }
    })
}

async fn answer(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, hyper::Error> {
    let (parts, body) = request.into_parts();
    let request = Request::from_parts(parts, body.collect().await?.to_bytes());
    let (status, text) = match is_token_request(&request) {
        true => (StatusCode::OK, TOKEN),
        false => (StatusCode::BAD_REQUEST, REJECTED),
    };
    let mut response = Response::new(Full::new(Bytes::from_static(text.as_bytes())));
    *response.status_mut() = status;
    let json = HeaderValue::from_static("application/json");
    response.headers_mut().insert(CONTENT_TYPE, json);
    Ok(response)
}

/// Whether this is the token exchange the contract describes.
fn is_token_request(request: &Request<Bytes>) -> bool {
    let header = |name: &str| request.headers().get(name).map(HeaderValue::as_bytes);
    let form = String::from_utf8_lossy(request.body());
    let fields = [
        "code=bench-code-",
        "client_id=",
        "client_secret=",
        "redirect_uri=",
    ];
    let has = |f: &str| form.split('&').any(|p| p.starts_with(f));
    request.method() == Method::POST
        && request.uri().path() == "/v2/login/authorization/token"
        && header("content-type") == Some(b"application/x-www-form-urlencoded")
        && header("accept") == Some(b"application/json")
        && header("api-version") == Some(b"2.0")
        && fields.into_iter().all(has)
        && form
            .split('&')
            .any(|p| p == "grant_type=authorization_code")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_contracts_token_request_succeeds() {
        let form = "code=bench-code-7&client_id=i&client_secret=s&redirect_uri=r&grant_type=authorization_code";
        let request = |method: &str, path: &str, version: &str, form: &str| {
            Request::builder()
                .method(method)
                .uri(path)
                .header("accept", "application/json")
                .header("api-version", version)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(Bytes::from(form.to_string()))
                .unwrap()
        };
        let path = "/v2/login/authorization/token";
        assert!(is_token_request(&request("POST", path, "2.0", form)));
        assert!(!is_token_request(&request("GET", path, "2.0", form)));
        assert!(!is_token_request(&request(
            "POST",
            "/v2/logout",
            "2.0",
            form
        )));
        assert!(!is_token_request(&request("POST", path, "1.0", form)));
        assert!(!is_token_request(&request(
            "POST",
            path,
            "2.0",
            &form[..60]
        )));
    }
}
