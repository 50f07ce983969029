//! The transforms applied to the spec before progenitor sees it.
//!
//! `openapi/upstox-login.yaml` describes the wire as it is. A few shapes of
//! that truth are ones progenitor 0.15.1 handles badly (see
//! `shared/progenitor-notes.md`); each transform below rewrites one such shape
//! in the in-memory copy handed to the generator, never in the file. They are
//! listed in [`ALL`] and applied in that order.
//!
//! The transforms of [`CODE`] rewrite the generated *code*, for what no
//! document shape can ask of progenitor: see [`fixed_endpoint_urls`] and
//! [`lean_send_futures`].
//!
//! What is *not* a document transform, but a generator setting in
//! `codegen.rs`: the secret and identifier schemas, and the error envelope
//! whose fields come in two spellings, are replaced by hand-written types of
//! the library (`GenerationSettings::with_replacement`).

use openapiv3::{
    OpenAPI, Parameter, ParameterData, ParameterSchemaOrContent, ReferenceOr, Schema, SchemaData,
    SchemaKind, StringType, Type,
};

/// One named rewrite of the document.
pub struct Transform {
    /// A short name, used in the generated file's header.
    pub name: &'static str,
    /// Why it exists.
    pub why: &'static str,
    /// The rewrite itself.
    pub apply: fn(&mut OpenAPI) -> Result<(), String>,
}

/// Every transform, in the order applied.
pub const ALL: &[Transform] = &[
    Transform {
        name: "api-version-header",
        why: "progenitor sends `api-version: <info.version>` on every request by itself, so a \
              declared Api-Version header would be sent twice; drop the declared parameter and \
              set info.version to the value it declares (2.0). The library strips the header \
              again from the v3 call, which must not carry it.",
        apply: api_version_header,
    },
    Transform {
        name: "bearer-as-header",
        why: "progenitor ignores security schemes; an operation that requires HTTP bearer auth \
              gets an explicit required `Authorization` header parameter instead, so the \
              token is given per call and never baked into the client.",
        apply: bearer_as_header,
    },
];

/// One named rewrite of the generated code (after progenitor, before
/// formatting).
pub struct CodeTransform {
    /// A short name, used in the generated file's header.
    pub name: &'static str,
    /// Why it exists.
    pub why: &'static str,
    /// The rewrite itself.
    pub apply: fn(&mut syn::File) -> Result<(), String>,
}

/// Every code transform, in the order applied.
pub const CODE: &[CodeTransform] = &[
    CodeTransform {
        name: "fixed-endpoint-urls",
        why: "progenitor formats `{baseurl}/path` into a String on every call, which reqwest then \
          parses into a Url (scheme, host with IDNA, path). \
          For a path with no parameters, take the Url the client parsed once instead \
          (`client.inner.url(\"/path\")`, the inner type being `crate::Endpoints`); the paths \
          are listed in `FIXED_PATHS` for it to parse up front.",
        apply: fixed_endpoint_urls,
    },
    CodeTransform {
        name: "lean-send-futures",
        why: "progenitor's `async fn send` keeps the builder, the body, the header map and the \
          request alive in its future across every await, and awaits \
          `ResponseValue::from_response`, a 944-byte future, to read a body the exec hook has \
          already read: each call's boxed future was 1.8 KB, above glibc's per-thread cache \
          (1 KB), so every call took the allocator's slow path. `send` now builds the request \
          at once (boxed, so the future holds a pointer), awaits only the hooks, and decodes \
          the body the exec hook kept (`crate::buffered::decode`); every status arm must be a \
          shape known to be right once the body is read. Checks, conversion and serialisation \
          now run when `send` is called, not at the first poll.",
        apply: lean_send_futures,
    },
    CodeTransform {
        name: "redacted-builder-debug",
        why: "a builder holding a secret as a plain string (`Logout`'s `authorization`, \
          `Bearer <access token>`) derived `Debug`, which printed it. Those builders get a \
          hand-shaped `Debug` instead that shows the field as `[redacted]` (or its conversion \
          error); the fields are listed in `SECRET_BUILDER_FIELDS`.",
        apply: redacted_builder_debug,
    },
    CodeTransform {
        name: "direct-request-headers",
        why: "progenitor puts the `api-version` and declared header parameters in a \
          `HeaderMap` of their own and merges it into the request with `.headers(..)`: two \
          more allocations and a second insert per header on every call. Each value is now \
          computed where it was and added with `.header(..)` (a literal name as \
          `HeaderName::from_static`); the request carries the same headers in the same order.",
        apply: direct_request_headers,
    },
    CodeTransform {
        name: "static-builder-defaults",
        why: "typify's builders hold each field's error as a `String`, so every `Default` (made \
          by the `new` of each operation builder that has a body, and replaced by `.body(..)`) \
          allocated its \
          \"no value supplied for ..\" messages. Their error is now a `Cow<'static, str>`: \
          those messages are borrowed, a setter's conversion message is owned as before, and \
          `ConversionError` converts from it.",
        apply: static_builder_defaults,
    },
    CodeTransform {
        name: "no-unconfigured-client",
        why: "progenitor's `Client::new(baseurl)` builds a `reqwest::Client` with `unwrap()` and \
          reqwest's default redirect policy, which follows a `307`/`308` answer to the token \
          exchange and sends the client secret and code again to wherever `Location` points. \
          It is removed: a client of the generated code is made with `new_with_client` from \
          `LoginClientBuilder::http_client_builder()`, which follows no redirect.",
        apply: no_unconfigured_client,
    },
];

/// The builder fields that hold a secret as a plain string, by builder:
/// `redacted-builder-debug` redacts them in `Debug`.
pub const SECRET_BUILDER_FIELDS: &[(&str, &str)] = &[("Logout", "authorization")];

/// Applies every transform of [`CODE`] in order.
pub fn apply_code(file: &mut syn::File) -> Result<(), String> {
    for t in CODE {
        (t.apply)(file).map_err(|e| format!("code transform {}: {e}", t.name))?;
    }
    Ok(())
}

/// Rewrites `let url = format!("{}/fixed/path", client.baseurl,);` into
/// `let url = client.inner.url("/fixed/path").map_err(Error::InvalidRequest)?;`
/// and appends `pub const FIXED_PATHS: &[&str]` with every path so rewritten,
/// in order of appearance. A path with parameters is left as generated. It
/// fails when it finds nothing to rewrite, so a progenitor upgrade that
/// changes the shape is noticed rather than silently slower.
pub fn fixed_endpoint_urls(file: &mut syn::File) -> Result<(), String> {
    use syn::visit_mut::VisitMut;

    struct Rewriter {
        paths: Vec<String>,
        error: Option<String>,
    }

    /// The fixed path of `format!("{}/path", client.baseurl,)`, if that is
    /// what `mac` is.
    fn fixed_path(mac: &syn::Macro) -> Result<Option<String>, syn::Error> {
        if !mac.path.is_ident("format") {
            return Ok(None);
        }
        let args = mac.parse_body_with(
            syn::punctuated::Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated,
        )?;
        let mut args = args.into_iter();
        let (Some(syn::Expr::Lit(lit)), Some(base)) = (args.next(), args.next()) else {
            return Ok(None);
        };
        let extra: Vec<syn::Expr> = args.collect();
        let syn::Lit::Str(template) = &lit.lit else {
            return Ok(None);
        };
        let base_is_client_baseurl = matches!(
            &base,
            syn::Expr::Field(f)
                if matches!(&f.member, syn::Member::Named(m) if m == "baseurl")
                && matches!(&*f.base, syn::Expr::Path(p) if p.path.is_ident("client"))
        );
        let template = template.value();
        // `format!("{}/path", client.baseurl)`, or the same path passed as
        // a second argument: `format!("{}{}", client.baseurl, "/path")`.
        let path = match (template.as_str(), extra.as_slice()) {
            (t, []) => t.strip_prefix("{}").map(str::to_string),
            (
                "{}{}",
                [syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(path),
                    ..
                })],
            ) => Some(path.value()),
            _ => None,
        };
        Ok(path.filter(|path| {
            base_is_client_baseurl && path.starts_with('/') && !path.contains(['{', '}'])
        }))
    }

    /// Any fixed-path `format!` the rewrite did not reach (a binding not
    /// named `url`, a typed one): an error, so that none is left parsing
    /// its URL on every call unnoticed.
    struct Leftovers(Vec<String>);

    impl VisitMut for Leftovers {
        fn visit_macro_mut(&mut self, mac: &mut syn::Macro) {
            if let Ok(Some(path)) = fixed_path(mac) {
                self.0.push(path);
            }
        }
    }

    impl VisitMut for Rewriter {
        fn visit_local_mut(&mut self, local: &mut syn::Local) {
            syn::visit_mut::visit_local_mut(self, local);
            let is_url = matches!(&local.pat, syn::Pat::Ident(i) if i.ident == "url");
            let Some(init) = local.init.as_mut().filter(|_| is_url) else {
                return;
            };
            let syn::Expr::Macro(mac) = &*init.expr else {
                return;
            };
            match fixed_path(&mac.mac) {
                Ok(Some(path)) => {
                    *init.expr = syn::parse_quote! {
                        client.inner.url(#path).map_err(Error::InvalidRequest)?
                    };
                    if !self.paths.contains(&path) {
                        self.paths.push(path);
                    }
                }
                Ok(None) => {}
                Err(e) => {
                    self.error.get_or_insert(e.to_string());
                }
            }
        }
    }

    let mut rewriter = Rewriter {
        paths: Vec::new(),
        error: None,
    };
    rewriter.visit_file_mut(file);
    if let Some(e) = rewriter.error {
        return Err(format!("reading a generated `format!`: {e}"));
    }
    if rewriter.paths.is_empty() {
        return Err(
            "no `let url = format!(\"{}/path\", client.baseurl,)` found; \
                    has progenitor's output changed?"
                .into(),
        );
    }
    let mut leftovers = Leftovers(Vec::new());
    leftovers.visit_file_mut(file);
    if !leftovers.0.is_empty() {
        return Err(format!(
            "a fixed path formatted in a shape the rewrite does not know: {:?}; \
             has progenitor's output changed?",
            leftovers.0
        ));
    }
    let paths = &rewriter.paths;
    file.items.push(syn::parse_quote! {
        /// Every request path without parameters, in the order the operations
        /// use them: parsed into URLs once, when a client is made.
        pub const FIXED_PATHS: &[&str] = &[#(#paths),*];
    });
    Ok(())
}

/// Rewrites every builder's
///
/// ```text
/// pub async fn send(self) -> R {
///     let Self { client, .. } = self;
///     <checks and request building, ending in `let mut request = ..;`>
///     let info = OperationInfo { .. };
///     client.pre(&mut request, &info).await?;
///     let result = client.exec(request, &info).await;
///     client.post(&result, &info).await?;
///     let response = result?;
///     match response.status().as_u16() { .. ResponseValue::from_response(response).await .. }
/// }
/// ```
///
/// into a `fn send(self) -> impl Future<Output = R> + use<'a>` that runs the
/// checks and builds the request when called (their errors come out of the
/// future, as before), boxes the request and its error so that the future
/// holds a pointer until the request is sent, ends the request's scope once
/// it is, and decodes with `crate::buffered::decode(response)`, which reads
/// the body the exec hook kept instead of awaiting it again. The statements
/// are moved as they are. Any other shape of `send`, or none at all, is an
/// error.
pub fn lean_send_futures(file: &mut syn::File) -> Result<(), String> {
    use quote::ToTokens;
    use syn::visit_mut::VisitMut;

    struct Rewriter {
        rewritten: usize,
        error: Option<String>,
    }

    impl VisitMut for Rewriter {
        fn visit_item_impl_mut(&mut self, item: &mut syn::ItemImpl) {
            let lifetime = item.generics.lifetimes().next().map(|l| l.lifetime.clone());
            let owner = item.self_ty.to_token_stream().to_string();
            for impl_item in &mut item.items {
                let syn::ImplItem::Fn(f) = impl_item else {
                    continue;
                };
                if f.sig.ident != "send" {
                    continue;
                }
                match rewrite_send(f, lifetime.as_ref()) {
                    Ok(()) => self.rewritten += 1,
                    Err(e) => {
                        self.error.get_or_insert(format!("{owner}::send: {e}"));
                    }
                }
            }
        }
    }

    let mut rewriter = Rewriter {
        rewritten: 0,
        error: None,
    };
    rewriter.visit_file_mut(file);
    outcome(
        rewriter.rewritten,
        rewriter.error,
        "no builder `send` found",
    )
}

/// A whole-file rewrite's result: its first error, or an error saying
/// `nothing_found` when it rewrote nothing, both as a sign that progenitor's
/// output changed.
fn outcome(rewritten: usize, error: Option<String>, nothing_found: &str) -> Result<(), String> {
    match error {
        Some(e) => Err(format!("{e}; has progenitor's output changed?")),
        None if rewritten == 0 => Err(format!("{nothing_found}; has progenitor's output changed?")),
        None => Ok(()),
    }
}

fn squashed(tokens: &impl quote::ToTokens) -> String {
    tokens
        .to_token_stream()
        .to_string()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

fn binds(stmt: &syn::Stmt, name: &str) -> bool {
    let syn::Stmt::Local(local) = stmt else {
        return false;
    };
    match &local.pat {
        syn::Pat::Ident(i) => i.ident == name,
        syn::Pat::Type(t) => matches!(&*t.pat, syn::Pat::Ident(i) if i.ident == name),
        _ => false,
    }
}

fn rewrite_send(f: &mut syn::ImplItemFn, lifetime: Option<&syn::Lifetime>) -> Result<(), String> {
    if f.sig.asyncness.is_none() {
        return Err("not an `async fn`".into());
    }
    if squashed(&f.sig.inputs) != "self" {
        return Err("does not take `self` alone".into());
    }
    let lifetime = lifetime.ok_or("the builder has no lifetime parameter")?;
    let syn::ReturnType::Type(_, output) = &f.sig.output else {
        return Err("returns nothing".into());
    };
    // `Result<ResponseValue<T>, Error<E>>`: the error type, for the closure.
    let error_type = match &**output {
        syn::Type::Path(p) => p.path.segments.last().and_then(|s| match &s.arguments {
            syn::PathArguments::AngleBracketed(a) if s.ident == "Result" && a.args.len() == 2 => {
                match &a.args[1] {
                    syn::GenericArgument::Type(t) => Some(t.clone()),
                    _ => None,
                }
            }
            _ => None,
        }),
        _ => None,
    }
    .ok_or("does not return `Result<_, _>`")?;

    let stmts = &f.block.stmts;
    let sent = stmts
        .iter()
        .position(|s| binds(s, "request"))
        .ok_or("no `let mut request = ..;`")?;
    let destructure = &stmts[0];
    let is_destructure = matches!(destructure, syn::Stmt::Local(l)
        if matches!(&l.pat, syn::Pat::Struct(p) if p.path.is_ident("Self"))
        && l.init.as_ref().is_some_and(|i| squashed(&i.expr) == "self"));
    if !is_destructure || sent == 0 {
        return Err("does not begin with `let Self { .. } = self;`".into());
    }
    let prelude = &stmts[1..=sent];
    let rest = &stmts[sent + 1..];
    let expected = [
        None,
        Some("client.pre(&mutrequest,&info).await?;"),
        Some("letresult=client.exec(request,&info).await;"),
        Some("client.post(&result,&info).await?;"),
        Some("letresponse=result?;"),
    ];
    let shape_ok = rest.len() == expected.len() + 1
        && binds(&rest[0], "info")
        && squashed(&rest[0]).starts_with("letinfo=OperationInfo{")
        && expected
            .iter()
            .zip(rest)
            .all(|(want, stmt)| want.is_none_or(|w| squashed(stmt) == w))
        && matches!(rest.last(), Some(syn::Stmt::Expr(_, None)));
    if !shape_ok {
        return Err("the statements after `let mut request` are not pre, exec, post, match".into());
    }
    let (info, post, response) = (&rest[0], &rest[3], &rest[4]);
    let Some(syn::Stmt::Expr(tail, None)) = rest.last() else {
        return Err("no tail expression".into());
    };
    let mut tail = tail.clone();
    let decoded = decode_buffered(&mut tail);
    if decoded == 0 {
        return Err("no `ResponseValue::from_response(response).await` to replace".into());
    }
    known_arms(&tail)?;

    let block: syn::Block = syn::parse_quote!({
        #destructure
        let prepared = (move || -> ::std::result::Result<::reqwest::Request, #error_type> {
            #(#prelude)*
            Ok(request)
        })()
        .map(::std::boxed::Box::new)
        .map_err(::std::boxed::Box::new);
        async move {
            #info
            // The request stays boxed until it is sent, and its scope ends
            // before the answer is awaited.
            let result = {
                let mut request = prepared.map_err(|e| *e)?;
                client.pre(&mut request, &info).await?;
                client.exec(*request, &info)
            }
            .await;
            #post
            #response
            #tail
        }
    });
    f.sig.asyncness = None;
    f.sig.output =
        syn::parse_quote!(-> impl ::std::future::Future<Output = #output> + use<#lifetime>);
    f.block = block;
    Ok(())
}

/// Checks that the rewritten tail is `match response.status().as_u16() { .. }`
/// and that every arm is a shape whose meaning is known once the exec hook
/// has read the body: decode the kept body (as the answer, or as the error
/// answer), hand the response on as a stream or as unexpected (the hook put
/// the body back on it), or nothing. Anything else, an `.await` left in
/// particular (it would read a body already read), is an error.
fn known_arms(tail: &syn::Expr) -> Result<(), String> {
    const KNOWN: [&str; 5] = [
        "crate::buffered::decode(response)",
        "Err(Error::ErrorResponse(crate::buffered::decode(response)?))",
        "Ok(ResponseValue::stream(response))",
        "Ok(ResponseValue::empty(response))",
        "Err(Error::UnexpectedResponse(response))",
    ];
    let syn::Expr::Match(m) = tail else {
        return Err("the tail is not a `match`".into());
    };
    if squashed(&m.expr) != "response.status().as_u16()" {
        return Err("the tail does not match on `response.status().as_u16()`".into());
    }
    for arm in &m.arms {
        let mut body = &*arm.body;
        // `{ expr }` is the same as `expr`.
        while let syn::Expr::Block(b) = body {
            match b.block.stmts.as_slice() {
                [syn::Stmt::Expr(inner, None)] if b.label.is_none() => body = inner,
                _ => break,
            }
        }
        let shape = squashed(body);
        if !KNOWN
            .iter()
            .any(|k| squashed(&syn::parse_str::<syn::Expr>(k).ok()) == shape)
        {
            return Err(format!("an arm of unknown shape: `{shape}`"));
        }
    }
    Ok(())
}

/// Replaces `ResponseValue::from_response(x).await` with
/// `crate::buffered::decode(x)` throughout `expr`; returns how many.
fn decode_buffered(expr: &mut syn::Expr) -> usize {
    use syn::visit_mut::VisitMut;

    struct Replacer(usize);
    impl VisitMut for Replacer {
        fn visit_expr_mut(&mut self, expr: &mut syn::Expr) {
            syn::visit_mut::visit_expr_mut(self, expr);
            let syn::Expr::Await(awaited) = expr else {
                return;
            };
            let syn::Expr::Call(call) = &*awaited.base else {
                return;
            };
            if squashed(&call.func) != "ResponseValue::from_response" || call.args.len() != 1 {
                return;
            }
            let response = &call.args[0];
            *expr = syn::parse_quote!(crate::buffered::decode(#response));
            self.0 += 1;
        }
    }
    let mut replacer = Replacer(0);
    replacer.visit_expr_mut(expr);
    replacer.0
}

/// Replaces the derived `Debug` of each builder named in
/// [`SECRET_BUILDER_FIELDS`] with one that prints those fields as
/// `Ok("[redacted]")` (or their conversion error, which holds no value) and
/// the others as derived. A listed builder or field that is missing, a field
/// that is not a `Result`, or a builder without a derived `Debug` is an
/// error.
pub fn redacted_builder_debug(file: &mut syn::File) -> Result<(), String> {
    let mut builders: Vec<&str> = SECRET_BUILDER_FIELDS.iter().map(|(b, _)| *b).collect();
    builders.dedup();
    for builder in builders {
        let secret: Vec<&str> = SECRET_BUILDER_FIELDS
            .iter()
            .filter(|(b, _)| *b == builder)
            .map(|(_, f)| *f)
            .collect();
        let items = items_holding_struct(&mut file.items, builder)
            .ok_or_else(|| format!("no `struct {builder}` found"))?;
        let at = items
            .iter()
            .position(|i| matches!(i, syn::Item::Struct(s) if s.ident == builder))
            .ok_or_else(|| format!("no `struct {builder}` found"))?;
        let syn::Item::Struct(item) = &mut items[at] else {
            return Err(format!("no `struct {builder}` found"));
        };
        let mut had_debug = false;
        for attr in &mut item.attrs {
            if !attr.path().is_ident("derive") {
                continue;
            }
            let derives = attr
                .parse_args_with(
                    syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated,
                )
                .map_err(|e| format!("`{builder}`'s derive: {e}"))?;
            let kept: Vec<&syn::Path> = derives.iter().filter(|p| !p.is_ident("Debug")).collect();
            had_debug |= kept.len() < derives.len();
            *attr = syn::parse_quote!(#[derive(#(#kept),*)]);
        }
        if !had_debug {
            return Err(format!("`{builder}` does not derive `Debug`"));
        }
        let syn::Fields::Named(fields) = &item.fields else {
            return Err(format!("`{builder}` has no named fields"));
        };
        let mut shown = Vec::new();
        for name in &secret {
            let field = fields
                .named
                .iter()
                .find(|f| f.ident.as_ref().is_some_and(|i| i == name))
                .ok_or_else(|| format!("`{builder}` has no field `{name}`"))?;
            if !squashed(&field.ty).starts_with("Result<") {
                return Err(format!("`{builder}::{name}` is not a `Result`"));
            }
        }
        for field in &fields.named {
            let Some(ident) = &field.ident else { continue };
            let label = ident.to_string();
            shown.push(if secret.contains(&label.as_str()) {
                quote::quote!(.field(#label, &self.#ident.as_ref().map(|_| "[redacted]")))
            } else {
                quote::quote!(.field(#label, &self.#ident))
            });
        }
        let name = &item.ident;
        let label = name.to_string();
        let (impl_generics, ty_generics, where_clause) = item.generics.split_for_impl();
        let debug: syn::Item = syn::parse_quote! {
            impl #impl_generics ::std::fmt::Debug for #name #ty_generics #where_clause {
                fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                    f.debug_struct(#label) #(#shown)* .finish()
                }
            }
        };
        items.insert(at + 1, debug);
    }
    Ok(())
}

/// The item list (the file's, or a module's) that holds `struct name`.
fn items_holding_struct<'a>(
    items: &'a mut Vec<syn::Item>,
    name: &str,
) -> Option<&'a mut Vec<syn::Item>> {
    if items
        .iter()
        .any(|i| matches!(i, syn::Item::Struct(s) if s.ident == name))
    {
        return Some(items);
    }
    items.iter_mut().find_map(|i| match i {
        syn::Item::Mod(syn::ItemMod {
            content: Some((_, inner)),
            ..
        }) => items_holding_struct(inner, name),
        _ => None,
    })
}

/// Removes `Client::new`, progenitor's constructor that makes its own
/// `reqwest::Client` (with `unwrap()`, redirects followed). Exactly one
/// `impl Client` must have it, next to `new_with_client`.
pub fn no_unconfigured_client(file: &mut syn::File) -> Result<(), String> {
    let mut removed = 0;
    for item in &mut file.items {
        let syn::Item::Impl(imp) = item else { continue };
        if imp.trait_.is_some() || squashed(&imp.self_ty) != "Client" {
            continue;
        }
        let has = |imp: &syn::ItemImpl, name: &str| {
            imp.items
                .iter()
                .any(|i| matches!(i, syn::ImplItem::Fn(f) if f.sig.ident == name))
        };
        if !(has(imp, "new") && has(imp, "new_with_client")) {
            continue;
        }
        imp.items
            .retain(|i| !matches!(i, syn::ImplItem::Fn(f) if f.sig.ident == "new"));
        removed += 1;
    }
    match removed {
        1 => Ok(()),
        n => Err(format!(
            "expected one `impl Client` with `new` and `new_with_client`, found {n}; \
             has progenitor's output changed?"
        )),
    }
}

/// Rewrites each operation's
///
/// ```text
/// let mut header_map = ::reqwest::header::HeaderMap::with_capacity(N);
/// header_map.append(K1, V1);
/// header_map.append(K2, V2);
/// let mut request = client.client.post(url) .. .headers(header_map).build()?;
/// ```
///
/// into
///
/// ```text
/// let header_value_0: ::reqwest::header::HeaderValue = V1;
/// let header_value_1: ::reqwest::header::HeaderValue = V2;
/// let mut request = client.client.post(url) .. .header(K1, header_value_0)
///     .header(K2, header_value_1).build()?;
/// ```
///
/// The values are still computed where they were, in the same order and to
/// the same type, so their errors are the same. A key given as a string
/// literal becomes `HeaderName::from_static` of it in lower case, checked
/// here to be a valid name. `headers` replaces a header of the same name set
/// earlier in the chain and `header` appends one, so a name that progenitor
/// sets itself (`accept`, `content-type`; `content-length` too, as a
/// precaution) is an error, as is any other use of `header_map` outside a
/// macro's tokens (those show up as a compile error), a block without the
/// `.headers(header_map)` it fills.
pub fn direct_request_headers(file: &mut syn::File) -> Result<(), String> {
    use syn::visit_mut::VisitMut;

    struct Rewriter {
        rewritten: usize,
        error: Option<String>,
    }

    impl VisitMut for Rewriter {
        fn visit_block_mut(&mut self, block: &mut syn::Block) {
            syn::visit_mut::visit_block_mut(self, block);
            match header_map_to_headers(&mut block.stmts) {
                Ok(n) => self.rewritten += n,
                Err(e) => {
                    self.error.get_or_insert(e);
                }
            }
        }
    }

    let mut rewriter = Rewriter {
        rewritten: 0,
        error: None,
    };
    rewriter.visit_file_mut(file);
    outcome(
        rewriter.rewritten,
        rewriter.error,
        "no `let mut header_map = ..` found",
    )
}

/// The names progenitor's request chain sets before `.headers(..)`
/// (`accept`, and `content-type` with a body), and `content-length`, which
/// it does not set but which must never be sent twice.
const CHAIN_SET_HEADERS: [&str; 3] = ["accept", "content-type", "content-length"];

/// [`direct_request_headers`] on one block's statements: how many header
/// maps it rewrote (0 or 1).
fn header_map_to_headers(stmts: &mut Vec<syn::Stmt>) -> Result<usize, String> {
    use syn::visit_mut::VisitMut;

    let Some(at) = stmts.iter().position(|s| binds(s, "header_map")) else {
        return Ok(0);
    };
    let made = match &stmts[at] {
        syn::Stmt::Local(l) => l.init.as_ref().map(|i| squashed(&i.expr)),
        _ => None,
    };
    if !made.is_some_and(|m| m.starts_with("::reqwest::header::HeaderMap::with_capacity(")) {
        return Err("`header_map` is not made by `HeaderMap::with_capacity`".into());
    }
    let mut appended = Vec::new();
    let mut end = at + 1;
    while let Some(stmt) = stmts.get(end) {
        let syn::Stmt::Expr(syn::Expr::MethodCall(call), Some(_)) = stmt else {
            break;
        };
        if squashed(&call.receiver) != "header_map" {
            break;
        }
        if call.method != "append" || call.args.len() != 2 {
            return Err(format!(
                "an unknown use of `header_map`: `{}`",
                squashed(stmt)
            ));
        }
        appended.push((call.args[0].clone(), call.args[1].clone()));
        end += 1;
    }
    /// Finds any identifier starting with `header_value_` already in use.
    struct Taken(bool);
    impl VisitMut for Taken {
        fn visit_ident_mut(&mut self, ident: &mut syn::Ident) {
            self.0 |= ident.to_string().starts_with("header_value_");
        }
    }
    let mut taken = Taken(false);
    for stmt in stmts.iter_mut() {
        taken.visit_stmt_mut(stmt);
    }
    if taken.0 {
        return Err("a name starting with `header_value_` is already in use".into());
    }
    let mut values = Vec::new();
    let mut calls = Vec::new();
    for (i, (key, value)) in appended.into_iter().enumerate() {
        let key: syn::Expr = match &key {
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(name),
                ..
            }) => {
                let name = name.value().to_ascii_lowercase();
                if name.is_empty()
                    || !name
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"-_!#$%&'*+.^`|~".contains(&b))
                {
                    return Err(format!("`{name}` is not a header name"));
                }
                syn::parse_quote!(::reqwest::header::HeaderName::from_static(#name))
            }
            other => other.clone(),
        };
        let named = squashed(&key).to_ascii_lowercase();
        if let Some(set) = CHAIN_SET_HEADERS
            .iter()
            .find(|h| named.contains(&format!("\"{h}\"")) || named.ends_with(&h.replace('-', "_")))
        {
            return Err(format!(
                "`{set}` would be appended to the one the request chain sets, not replace it"
            ));
        }
        let binding = quote::format_ident!("header_value_{i}");
        values.push(syn::parse_quote! {
            let #binding: ::reqwest::header::HeaderValue = #value;
        });
        calls.push((key, binding));
    }

    /// Replaces the one `x.headers(header_map)` with `x.header(K, V)..`,
    /// and counts every other mention of `header_map`.
    struct Headers {
        calls: Vec<(syn::Expr, syn::Ident)>,
        replaced: usize,
        other: usize,
    }
    impl VisitMut for Headers {
        fn visit_expr_mut(&mut self, expr: &mut syn::Expr) {
            if let syn::Expr::MethodCall(call) = expr {
                if call.method == "headers"
                    && call.args.len() == 1
                    && squashed(&call.args[0]) == "header_map"
                {
                    syn::visit_mut::visit_expr_mut(self, &mut call.receiver);
                    let mut chain = (*call.receiver).clone();
                    for (key, value) in &self.calls {
                        chain = syn::parse_quote!(#chain.header(#key, #value));
                    }
                    *expr = chain;
                    self.replaced += 1;
                    return;
                }
            }
            syn::visit_mut::visit_expr_mut(self, expr);
        }

        fn visit_ident_mut(&mut self, ident: &mut syn::Ident) {
            if ident == "header_map" {
                self.other += 1;
            }
        }
    }
    let mut headers = Headers {
        calls,
        replaced: 0,
        other: 0,
    };
    for stmt in &mut stmts[end..] {
        headers.visit_stmt_mut(stmt);
    }
    if headers.replaced != 1 || headers.other != 0 {
        return Err(format!(
            "`header_map` is used {} time(s) as `.headers(header_map)` and {} other time(s) \
             after it is filled; expected once and never",
            headers.replaced, headers.other
        ));
    }
    stmts.splice(at..end, values);
    Ok(1)
}

/// In typify's builders (`types::builder`), the error of every field is a
/// `Cow<'static, str>` instead of a `String`: `Default` borrows its "no
/// value supplied for `field`" messages instead of allocating them, and a
/// setter's conversion error is `Cow::Owned` of the message it formatted.
/// `types::error::ConversionError`, which holds a `Cow<'static, str>`,
/// gets the `From` that the builders' `TryFrom` needs. The messages are
/// unchanged. Finding no builder field, no `Default` message, or no
/// `ConversionError(Cow<'static, str>)` is an error.
pub fn static_builder_defaults(file: &mut syn::File) -> Result<(), String> {
    use syn::visit_mut::VisitMut;

    let types = module_items(&mut file.items, "types").ok_or("no `mod types`")?;
    let holds_cow = types.iter().any(|i| {
        matches!(i, syn::Item::Mod(m) if m.ident == "error"
        && m.content.as_ref().is_some_and(|(_, items)| items.iter().any(|i| {
            matches!(i, syn::Item::Struct(s) if s.ident == "ConversionError"
                && squashed(&s.fields) == "(::std::borrow::Cow<'static,str>)")
        })))
    });
    if !holds_cow {
        return Err("no `types::error::ConversionError(Cow<'static, str>)`".into());
    }

    struct Rewriter {
        fields: usize,
        defaults: usize,
        setters: usize,
        in_default: bool,
        /// `Err(..)` in a `Default` or `.map_err(..)` elsewhere that is not
        /// of a known shape: it would keep a `String` error.
        unknown: Vec<String>,
    }
    impl VisitMut for Rewriter {
        fn visit_field_mut(&mut self, field: &mut syn::Field) {
            let syn::Type::Path(p) = &mut field.ty else {
                return;
            };
            let Some(last) = p.path.segments.last_mut() else {
                return;
            };
            let syn::PathArguments::AngleBracketed(args) = &mut last.arguments else {
                return;
            };
            if last.ident == "Result"
                && args.args.len() == 2
                && squashed(&args.args[1]) == "::std::string::String"
            {
                args.args[1] = syn::parse_quote!(::std::borrow::Cow<'static, str>);
                self.fields += 1;
            }
        }

        fn visit_item_impl_mut(&mut self, item: &mut syn::ItemImpl) {
            self.in_default = item
                .trait_
                .as_ref()
                .is_some_and(|(path, _)| squashed(path) == "::std::default::Default");
            syn::visit_mut::visit_item_impl_mut(self, item);
            self.in_default = false;
        }

        fn visit_expr_mut(&mut self, expr: &mut syn::Expr) {
            syn::visit_mut::visit_expr_mut(self, expr);
            match expr {
                // `Err("no value supplied for x".to_string())` in `Default`.
                syn::Expr::Call(call)
                    if self.in_default && squashed(&call.func) == "Err" && call.args.len() == 1 =>
                {
                    let literal = match &call.args[0] {
                        syn::Expr::MethodCall(m)
                            if m.method == "to_string" && m.args.is_empty() =>
                        {
                            match &*m.receiver {
                                syn::Expr::Lit(lit) => Some(lit.clone()),
                                _ => None,
                            }
                        }
                        _ => None,
                    };
                    match literal {
                        Some(lit) => {
                            call.args[0] = syn::parse_quote!(::std::borrow::Cow::Borrowed(#lit));
                            self.defaults += 1;
                        }
                        None => self.unknown.push(squashed(call)),
                    }
                }
                // A setter's `.map_err(|e| format!(..))`.
                syn::Expr::MethodCall(call)
                    if !self.in_default && call.method == "map_err" && call.args.len() == 1 =>
                {
                    if let syn::Expr::Closure(closure) = &mut call.args[0] {
                        let body = &closure.body;
                        let formats = squashed(body)
                            .trim_start_matches('{')
                            .starts_with("format!(");
                        if formats {
                            *closure.body = syn::parse_quote!(::std::borrow::Cow::Owned(#body));
                            self.setters += 1;
                            return;
                        }
                    }
                    self.unknown.push(squashed(call));
                }
                _ => {}
            }
        }
    }

    let builder = module_items(types, "builder").ok_or("no `mod types::builder`")?;
    let mut rewriter = Rewriter {
        fields: 0,
        defaults: 0,
        setters: 0,
        in_default: false,
        unknown: Vec::new(),
    };
    for item in builder.iter_mut() {
        rewriter.visit_item_mut(item);
    }
    if let Some(shape) = rewriter.unknown.first() {
        return Err(format!("a builder error of unknown shape: `{shape}`"));
    }
    if rewriter.setters != rewriter.fields {
        return Err(format!(
            "{} builder fields but {} setters rewritten; expected one setter per field",
            rewriter.fields, rewriter.setters
        ));
    }
    if rewriter.fields == 0 || rewriter.defaults == 0 || rewriter.setters == 0 {
        return Err(format!(
            "rewrote {} builder fields, {} `Default` messages and {} setters; expected some of \
             each",
            rewriter.fields, rewriter.defaults, rewriter.setters
        ));
    }
    let error = module_items(types, "error").ok_or("no `mod types::error`")?;
    error.push(syn::parse_quote! {
        impl From<::std::borrow::Cow<'static, str>> for ConversionError {
            fn from(value: ::std::borrow::Cow<'static, str>) -> Self {
                Self(value)
            }
        }
    });
    Ok(())
}

/// The items of the inline module `name` among `items`.
fn module_items<'a>(items: &'a mut [syn::Item], name: &str) -> Option<&'a mut Vec<syn::Item>> {
    items.iter_mut().find_map(|i| match i {
        syn::Item::Mod(syn::ItemMod {
            ident,
            content: Some((_, inner)),
            ..
        }) if ident == name => Some(inner),
        _ => None,
    })
}

/// Applies every transform of [`ALL`] in order.
pub fn apply_all(spec: &mut OpenAPI) -> Result<(), String> {
    for t in ALL {
        (t.apply)(spec).map_err(|e| format!("transform {}: {e}", t.name))?;
    }
    Ok(())
}

fn header_name(p: &ReferenceOr<Parameter>, spec: &OpenAPI) -> Option<String> {
    let param = match p {
        ReferenceOr::Item(item) => item,
        ReferenceOr::Reference { reference } => {
            let name = reference.strip_prefix("#/components/parameters/")?;
            match spec.components.as_ref()?.parameters.get(name)? {
                ReferenceOr::Item(item) => item,
                ReferenceOr::Reference { .. } => return None,
            }
        }
    };
    match param {
        Parameter::Header { parameter_data, .. } => Some(parameter_data.name.clone()),
        _ => None,
    }
}

fn single_enum_value(data: &ParameterData) -> Option<String> {
    let ParameterSchemaOrContent::Schema(ReferenceOr::Item(schema)) = &data.format else {
        return None;
    };
    match &schema.schema_kind {
        SchemaKind::Type(Type::String(s)) if s.enumeration.len() == 1 => s.enumeration[0].clone(),
        _ => None,
    }
}

fn api_version_header(spec: &mut OpenAPI) -> Result<(), String> {
    let is_api_version = |p: &ReferenceOr<Parameter>, spec: &OpenAPI| {
        header_name(p, spec).is_some_and(|n| n.eq_ignore_ascii_case("api-version"))
    };
    let snapshot = spec.clone();
    let mut version = None;
    if let Some(components) = spec.components.as_mut() {
        components.parameters.retain(|_, p| match p {
            ReferenceOr::Item(Parameter::Header { parameter_data, .. })
                if parameter_data.name.eq_ignore_ascii_case("api-version") =>
            {
                version = single_enum_value(parameter_data);
                false
            }
            _ => true,
        });
    }
    let mut removed = 0;
    for (_, item) in spec.paths.paths.iter_mut() {
        let ReferenceOr::Item(item) = item else {
            return Err("`$ref`'d path items are not supported by progenitor".into());
        };
        for op in [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ]
        .into_iter()
        .flatten()
        {
            let before = op.parameters.len();
            op.parameters.retain(|p| !is_api_version(p, &snapshot));
            removed += before - op.parameters.len();
        }
    }
    if removed == 0 {
        return Err("no Api-Version header parameter found; is the transform still needed?".into());
    }
    spec.info.version =
        version.ok_or("the Api-Version parameter must declare exactly one value")?;
    Ok(())
}

fn bearer_as_header(spec: &mut OpenAPI) -> Result<(), String> {
    let bearer_schemes: Vec<String> = spec
        .components
        .as_ref()
        .map(|c| {
            c.security_schemes
                .iter()
                .filter(|(_, s)| {
                    matches!(s, ReferenceOr::Item(openapiv3::SecurityScheme::HTTP { scheme, .. })
                        if scheme.eq_ignore_ascii_case("bearer"))
                })
                .map(|(name, _)| name.clone())
                .collect()
        })
        .unwrap_or_default();
    let mut converted = 0;
    for (_, item) in spec.paths.paths.iter_mut() {
        let ReferenceOr::Item(item) = item else {
            continue;
        };
        for op in [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ]
        .into_iter()
        .flatten()
        {
            let needs_bearer = op.security.as_ref().is_some_and(|reqs| {
                reqs.iter()
                    .any(|r| r.keys().any(|k| bearer_schemes.contains(k)))
            });
            if !needs_bearer {
                continue;
            }
            op.parameters.push(ReferenceOr::Item(Parameter::Header {
                parameter_data: ParameterData {
                    name: "Authorization".into(),
                    description: Some("`Bearer <access_token>`.".into()),
                    required: true,
                    deprecated: None,
                    format: ParameterSchemaOrContent::Schema(ReferenceOr::Item(Schema {
                        schema_data: SchemaData::default(),
                        schema_kind: SchemaKind::Type(Type::String(StringType::default())),
                    })),
                    example: None,
                    examples: Default::default(),
                    explode: None,
                    extensions: Default::default(),
                },
                style: Default::default(),
            }));
            op.security = None;
            converted += 1;
        }
    }
    if converted == 0 {
        return Err("no operation requires bearer auth; is the transform still needed?".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewrite(src: &str) -> Result<String, String> {
        let mut file: syn::File = syn::parse_str(src).map_err(|e| e.to_string())?;
        fixed_endpoint_urls(&mut file)?;
        // Without white space, so that line breaks do not matter.
        Ok(squash(&prettyplease::unparse(&file)))
    }

    fn squash(s: &str) -> String {
        s.chars().filter(|c| !c.is_whitespace()).collect()
    }

    fn has(out: &str, needle: &str) -> bool {
        out.contains(&squash(needle))
    }

    #[test]
    fn fixed_paths_take_the_parsed_url_and_are_listed() {
        let out = rewrite(
            r#"
            async fn a(client: &Client) {
                let url = format!("{}/v2/logout", client.baseurl,);
            }
            async fn b(client: &Client, id: &str) {
                let url = format!("{}/v3/request/{}", client.baseurl, encode_path(id),);
            }
            async fn e(client: &Client) {
                let url = format!("{}{}", client.baseurl, "/v2/e");
            }
            async fn c(client: &Client) {
                let url = format!("{}/v2/login/authorization/token", client.baseurl);
            }
            async fn d(client: &Client) {
                let url = format!("{}/v2/logout", client.baseurl,);
            }
            "#,
        )
        .unwrap();
        assert!(
            has(
                &out,
                r#"let url = client.inner.url("/v2/logout").map_err(Error::InvalidRequest)?;"#
            ),
            "{out}"
        );
        assert!(
            has(&out, r#"client.inner.url("/v2/login/authorization/token")"#),
            "{out}"
        );
        // A path with a parameter is left alone.
        assert!(
            has(
                &out,
                r#"format!("{}/v3/request/{}", client.baseurl, encode_path(id),)"#
            ),
            "{out}"
        );
        assert!(
            has(
                &out,
                r#"let url = client.inner.url("/v2/e").map_err(Error::InvalidRequest)?;"#
            ),
            "{out}"
        );
        assert!(
            no_trailing_commas(&out).contains(&squash(
                r#"pub const FIXED_PATHS: &[&str] = &["/v2/logout", "/v2/e", "/v2/login/authorization/token"];"#
            )),
            "{out}"
        );
    }

    const SEND: &str = r#"
        impl<'a> Token<'a> {
            pub fn new(client: &'a super::Client) -> Self { Self { client, body: Ok(Default::default()) } }
            pub async fn send(self) -> Result<ResponseValue<types::TokenResponse>, Error<crate::ErrorEnvelope>> {
                let Self { client, body } = self;
                let body = body.map_err(Error::InvalidRequest)?;
                let url = client.inner.url("/v2/x").map_err(Error::InvalidRequest)?;
                #[allow(unused_mut)]
                let mut request = client.client.post(url).form_urlencoded(&body)?.build()?;
                let info = OperationInfo { operation_id: "token" };
                client.pre(&mut request, &info).await?;
                let result = client.exec(request, &info).await;
                client.post(&result, &info).await?;
                let response = result?;
                match response.status().as_u16() {
                    200u16 => ResponseValue::from_response(response).await,
                    400u16..=499u16 => Err(Error::ErrorResponse(ResponseValue::from_response(response).await?)),
                    _ => Err(Error::UnexpectedResponse(response)),
                }
            }
        }
    "#;

    /// `src` after `transform`, squashed and without trailing commas.
    fn applied(
        transform: fn(&mut syn::File) -> Result<(), String>,
        src: &str,
    ) -> Result<String, String> {
        let mut file: syn::File = syn::parse_str(src).map_err(|e| e.to_string())?;
        transform(&mut file)?;
        Ok(no_trailing_commas(&squash(&prettyplease::unparse(&file))))
    }

    fn lean(src: &str) -> Result<String, String> {
        applied(lean_send_futures, src)
    }

    /// prettyplease puts commas after last items when it breaks lines.
    fn no_trailing_commas(s: &str) -> String {
        s.replace(",)", ")")
            .replace(",>", ">")
            .replace(",}", "}")
            .replace(",]", "]")
    }

    /// Every needle is in `out` (both without white space and trailing commas).
    fn assert_has_all(out: &str, needles: &[&str]) {
        for needle in needles {
            assert!(
                out.contains(&no_trailing_commas(&squash(needle))),
                "missing {needle}\nin {out}"
            );
        }
    }

    #[test]
    fn send_builds_the_request_at_once_and_decodes_the_kept_body() {
        let out = lean(SEND).unwrap();
        assert_has_all(
            &out,
            &[
                // Same output type, no longer an `async fn`, capturing only 'a.
                "pub fn send(self) -> impl ::std::future::Future<Output = Result<ResponseValue<types::TokenResponse>, Error<crate::ErrorEnvelope>>> + use<'a> {",
                "let Self { client, body } = self;",
                // The checks and the request, moved as they were, run by the call.
                "let prepared = (move || -> ::std::result::Result<::reqwest::Request, Error<crate::ErrorEnvelope>> {",
                "let body = body.map_err(Error::InvalidRequest)?;",
                "let mut request = client.client.post(url).form_urlencoded(&body)?.build()?; Ok(request) })()",
                ".map(::std::boxed::Box::new).map_err(::std::boxed::Box::new);",
                // The hooks in the same order; the request's scope ends before the await.
                "async move { let info = OperationInfo { operation_id: \"token\" };",
                "let result = { let mut request = prepared.map_err(|e| *e)?; client.pre(&mut request, &info).await?; client.exec(*request, &info) }.await;",
                "client.post(&result, &info).await?; let response = result?;",
                "200u16 => crate::buffered::decode(response),",
                "Err(Error::ErrorResponse(crate::buffered::decode(response)?))",
                "_ => Err(Error::UnexpectedResponse(response))",
            ],
        );
        assert!(!out.contains("from_response"), "{out}");
        assert!(!out.contains("asyncfnsend"), "{out}");
        // The other methods are left alone.
        assert!(
            has(&out, "pub fn new(client: &'a super::Client) -> Self"),
            "{out}"
        );
    }

    #[test]
    fn a_send_of_another_shape_is_an_error_not_left_as_is() {
        // The hooks in another order.
        let swapped = SEND.replace(
            "client.post(&result, &info).await?;\n                let response = result?;",
            "let response = result?;\n                client.post(&result, &info).await?;",
        );
        assert_ne!(swapped, SEND);
        let err = lean(&swapped).unwrap_err();
        assert!(err.contains("Token < 'a >::send"), "{err}");
        assert!(err.contains("pre, exec, post, match"), "{err}");
        // Nothing to decode.
        let no_decode = SEND.replace("ResponseValue::from_response(response).await", "todo!()");
        let err = lean(&no_decode).unwrap_err();
        assert!(err.contains("from_response"), "{err}");
        // No builder at all.
        let err = lean("fn main() {}").unwrap_err();
        assert!(err.contains("no builder `send` found"), "{err}");
    }

    #[test]
    fn other_bases_are_left_alone_and_nothing_to_rewrite_is_an_error() {
        let err = rewrite(
            r#"
            fn a(client: &Client, other: &Client) {
                let url = format!("{}/v2/logout", other.baseurl,);
                let url = format!("{}/v2/logout", client.base,);
                let url = format!("{}v2/logout", client.baseurl,);
                let url = String::new();
            }
            "#,
        )
        .unwrap_err();
        assert!(err.contains("has progenitor's output changed"), "{err}");
    }

    #[test]
    fn a_fixed_path_the_rewrite_cannot_reach_is_an_error() {
        for leftover in [
            r#"let other = format!("{}/v2/x", client.baseurl,);"#,
            r#"let url: String = format!("{}/v2/x", client.baseurl,);"#,
            r#"let other = format!("{}{}", client.baseurl, "/v2/x");"#,
        ] {
            let err = rewrite(&format!(
                r#"
                fn a(client: &Client) {{ let url = format!("{{}}/v2/logout", client.baseurl,); }}
                fn b(client: &Client) {{ {leftover} }}
                "#
            ))
            .unwrap_err();
            assert!(err.contains(r#"["/v2/x"]"#), "{leftover}: {err}");
        }
    }

    #[test]
    fn an_arm_of_unknown_shape_is_an_error() {
        for arm in [
            // An await left would read a body the exec hook already read.
            "201u16 => ResponseValue::upgrade(response).await,",
            "202u16 => Ok(ResponseValue::new(response.bytes().await?, status, headers)),",
            "203u16 => todo!(),",
        ] {
            let src = SEND.replace(
                "_ => Err(Error::UnexpectedResponse(response)),",
                &format!("{arm}\n_ => Err(Error::UnexpectedResponse(response)),"),
            );
            assert_ne!(src, SEND);
            let err = lean(&src).unwrap_err();
            assert!(err.contains("an arm of unknown shape"), "{arm}: {err}");
        }
        // The known shapes, braced or not, pass.
        let src = SEND.replace(
            "_ => Err(Error::UnexpectedResponse(response)),",
            "201u16 => { Ok(ResponseValue::stream(response)) }\n204u16 => Ok(ResponseValue::empty(response)),\n_ => { Err(Error::UnexpectedResponse(response)) }",
        );
        assert!(lean(&src).is_ok());
        // `info` must be the operation's.
        let src = SEND.replace(
            "let info = OperationInfo { operation_id: \"token\" };",
            "let info = other();",
        );
        assert!(lean(&src).unwrap_err().contains("pre, exec, post, match"));
    }

    const BUILDERS: &str = r#"
        pub mod builder {
            #[derive(Debug, Clone)]
            pub struct Logout<'a> {
                client: &'a super::Client,
                authorization: Result<::std::string::String, String>,
            }
            impl<'a> Logout<'a> {
                pub fn new(client: &'a super::Client) -> Self { todo!() }
            }
        }
        pub struct Client { baseurl: String }
        impl Client {
            pub fn new(baseurl: &str) -> Self { todo!() }
            pub fn new_with_client(baseurl: &str, client: reqwest::Client) -> Self { todo!() }
        }
        impl Client {
            pub fn logout(&self) -> builder::Logout<'_> { todo!() }
        }
    "#;

    #[test]
    fn secret_builder_fields_get_a_redacting_debug() {
        let mut file: syn::File = syn::parse_str(BUILDERS).unwrap();
        redacted_builder_debug(&mut file).unwrap();
        let out = no_trailing_commas(&squash(&prettyplease::unparse(&file)));
        assert_has_all(
            &out,
            &[
                "#[derive(Clone)] pub struct Logout<'a>",
                "impl<'a> ::std::fmt::Debug for Logout<'a> {",
                r#"f.debug_struct("Logout").field("client", &self.client).field("authorization", &self.authorization.as_ref().map(|_| "[redacted]")).finish()"#,
            ],
        );
        // A listed builder without a derived Debug, or without the field, is an error.
        for broken in [
            BUILDERS.replace("#[derive(Debug, Clone)]", "#[derive(Clone)]"),
            BUILDERS.replace("authorization: Result", "token: Result"),
            BUILDERS.replace(
                "authorization: Result<::std::string::String, String>",
                "authorization: String",
            ),
            BUILDERS.replace("pub struct Logout", "pub struct Logon"),
        ] {
            let mut file: syn::File = syn::parse_str(&broken).unwrap();
            assert!(redacted_builder_debug(&mut file).is_err(), "{broken}");
        }
    }

    const HEADER_MAP: &str = r#"
        fn send(client: &Client, authorization: String) -> Result<Request, Error> {
            let url = client.inner.url("/v2/logout").map_err(Error::InvalidRequest)?;
            let mut header_map = ::reqwest::header::HeaderMap::with_capacity(2usize);
            header_map.append(
                ::reqwest::header::HeaderName::from_static("api-version"),
                ::reqwest::header::HeaderValue::from_static(super::Client::api_version()),
            );
            header_map.append("Authorization", authorization.to_string().try_into()?);
            #[allow(unused_mut)]
            let mut request = client
                .client
                .delete(url)
                .header(::reqwest::header::ACCEPT, ::reqwest::header::HeaderValue::from_static("application/json"))
                .headers(header_map)
                .build()?;
            Ok(request)
        }
    "#;

    fn direct(src: &str) -> Result<String, String> {
        applied(direct_request_headers, src)
    }

    #[test]
    fn header_maps_become_header_calls_with_values_computed_in_place() {
        let out = direct(HEADER_MAP).unwrap();
        let expected = no_trailing_commas(&squash(
            r#"
            let url = client.inner.url("/v2/logout").map_err(Error::InvalidRequest)?;
            let header_value_0: ::reqwest::header::HeaderValue =
                ::reqwest::header::HeaderValue::from_static(super::Client::api_version());
            let header_value_1: ::reqwest::header::HeaderValue =
                authorization.to_string().try_into()?;
            #[allow(unused_mut)]
            let mut request = client
                .client
                .delete(url)
                .header(::reqwest::header::ACCEPT, ::reqwest::header::HeaderValue::from_static("application/json"))
                .header(::reqwest::header::HeaderName::from_static("api-version"), header_value_0)
                .header(::reqwest::header::HeaderName::from_static("authorization"), header_value_1)
                .build()?;
            Ok(request)
            "#,
        ));
        assert!(out.contains(&expected), "{out}");
        assert!(!out.contains("header_map"), "{out}");
    }

    #[test]
    fn a_header_map_the_rewrite_cannot_follow_is_an_error() {
        for (broken, why) in [
            (
                HEADER_MAP.replace(r#""Authorization""#, r#""Content-Type""#),
                "content-type",
            ),
            (
                HEADER_MAP.replace(r#""Authorization""#, "::reqwest::header::ACCEPT"),
                "accept",
            ),
            (
                HEADER_MAP.replace(r#""Authorization""#, r#""bad name""#),
                "not a header name",
            ),
            (
                HEADER_MAP
                    .replace(
                        "header_map.append(\"Authorization\"",
                        "if true { header_map.append(\"Authorization\"",
                    )
                    .replace(".try_into()?);", ".try_into()?); }"),
                "other time",
            ),
            (HEADER_MAP.replace(".headers(header_map)", ""), "0 time(s)"),
            (
                HEADER_MAP.replace(
                    "header_map.append(\"Authorization\"",
                    "header_map.insert(\"Authorization\"",
                ),
                "unknown use",
            ),
            (
                HEADER_MAP.replace("HeaderMap::with_capacity(2usize)", "HeaderMap::new()"),
                "with_capacity",
            ),
            (
                HEADER_MAP.replace(
                    "let url = client",
                    "let header_value_1 = 1; let url = client",
                ),
                "already in use",
            ),
            ("fn main() {}".to_string(), "no `let mut header_map"),
        ] {
            let err = direct(&broken).unwrap_err();
            assert!(err.contains(why), "{why}: {err}");
        }
    }

    const TYPE_BUILDERS: &str = r#"
        pub mod types {
            pub mod error {
                pub struct ConversionError(::std::borrow::Cow<'static, str>);
            }
            pub mod builder {
                #[derive(Clone, Debug)]
                pub struct TokenRequest {
                    code: ::std::result::Result<crate::AuthorizationCode, ::std::string::String>,
                    refresh_extended_token: ::std::result::Result<::std::option::Option<bool>, ::std::string::String>,
                }
                impl ::std::default::Default for TokenRequest {
                    fn default() -> Self {
                        Self {
                            code: Err("no value supplied for code".to_string()),
                            refresh_extended_token: Ok(Default::default()),
                        }
                    }
                }
                impl TokenRequest {
                    pub fn code<T>(mut self, value: T) -> Self
                    where
                        T: ::std::convert::TryInto<crate::AuthorizationCode>,
                        T::Error: ::std::fmt::Display,
                    {
                        self.code = value
                            .try_into()
                            .map_err(|e| { format!("error converting supplied value for code: {e}") });
                        self
                    }
                    pub fn refresh_extended_token<T>(mut self, value: T) -> Self
                    where
                        T: ::std::convert::TryInto<::std::option::Option<bool>>,
                        T::Error: ::std::fmt::Display,
                    {
                        self.refresh_extended_token = value
                            .try_into()
                            .map_err(|e| { format!("error converting supplied value for refresh_extended_token: {e}") });
                        self
                    }
                }
            }
        }
        pub mod builder {
            pub struct Token<'a> {
                body: Result<types::builder::TokenRequest, String>,
            }
        }
    "#;

    fn static_defaults(src: &str) -> Result<String, String> {
        applied(static_builder_defaults, src)
    }

    #[test]
    fn type_builders_borrow_their_default_errors() {
        let out = static_defaults(TYPE_BUILDERS).unwrap();
        assert_has_all(
            &out,
            &[
                "code: ::std::result::Result<crate::AuthorizationCode, ::std::borrow::Cow<'static, str>>",
                "refresh_extended_token: ::std::result::Result<::std::option::Option<bool>, ::std::borrow::Cow<'static, str>>",
                r#"code: Err(::std::borrow::Cow::Borrowed("no value supplied for code"))"#,
                r#".map_err(|e| ::std::borrow::Cow::Owned({ format!("error converting supplied value for code: {e}") }))"#,
                "impl From<::std::borrow::Cow<'static, str>> for ConversionError {",
                // progenitor's own operation builders keep their `String`.
                "body: Result<types::builder::TokenRequest, String>",
            ],
        );
        assert!(!out.contains("to_string()"), "{out}");
    }

    #[test]
    fn type_builders_of_another_shape_are_an_error() {
        for (broken, why) in [
            (
                TYPE_BUILDERS.replace(
                    "ConversionError(::std::borrow::Cow<'static, str>)",
                    "ConversionError(String)",
                ),
                "ConversionError",
            ),
            (
                TYPE_BUILDERS.replace(
                    r#"Err("no value supplied for code".to_string())"#,
                    r#"Err(String::new())"#,
                ),
                "unknown shape: `Err(String::new())`",
            ),
            (
                TYPE_BUILDERS.replace("{ format!(\"error converting supplied value for code", "{ std::format!(\"error converting supplied value for code"),
                "unknown shape: `value.try_into().map_err(",
            ),
            (
                TYPE_BUILDERS.replace(
                    "refresh_extended_token: ::std::result::Result<::std::option::Option<bool>, ::std::string::String>,",
                    "refresh_extended_token: ::std::result::Result<::std::option::Option<bool>, ::std::string::String>,\n\
                     extra: ::std::result::Result<bool, ::std::string::String>,",
                ),
                "3 builder fields but 2 setters",
            ),
            (
                TYPE_BUILDERS.replace(
                    "pub mod builder {\n                #[derive",
                    "pub mod built {\n                #[derive",
                ),
                "types::builder",
            ),
        ] {
            let err = static_defaults(&broken).unwrap_err();
            assert!(err.contains(why), "{why}: {err}");
        }
    }

    #[test]
    fn the_unconfigured_client_constructor_is_removed() {
        let mut file: syn::File = syn::parse_str(BUILDERS).unwrap();
        no_unconfigured_client(&mut file).unwrap();
        let out = squash(&prettyplease::unparse(&file));
        assert!(!out.contains("pubfnnew(baseurl:&str)"), "{out}");
        assert!(out.contains("pubfnnew_with_client("), "{out}");
        // The builders' own `new` stays.
        assert!(out.contains("pubfnnew(client:&'asuper::Client)"), "{out}");
        // Nothing to remove is an error.
        let mut again = file.clone();
        assert!(no_unconfigured_client(&mut again).is_err());
    }
}
