//! The reviewed rewrites between the spec and the checked-in client.
//!
//! `openapi/upstox-login.yaml` describes the wire as it is. Two shapes of
//! that truth are ones progenitor 0.15.1 cannot express: a version header it
//! would send twice, and a bearer security scheme it ignores. Each transform
//! of [`ALL`] rewrites one such shape in the in-memory copy handed to the
//! generator, never in the file.
//!
//! The transforms of [`CODE`] rewrite the generated *code*, and exist only to
//! remove a hazard from progenitor's output (a secret printed by `Debug`, a
//! constructor that panics and follows redirects). Each one fails loudly when
//! it finds nothing to rewrite, so a progenitor upgrade that changes the
//! shape is noticed. CONTRIBUTING.md says why each one exists.
//!
//! What is *not* a transform, but a generator setting in `codegen.rs`: the
//! secret and identifier schemas, and the error envelope whose fields come in
//! two spellings, are replaced by hand-written leaf types of the library
//! (`GenerationSettings::with_replacement`).

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
        name: "redacted-builder-debug",
        why: "a builder holding a secret as a plain string (`Logout`'s and `GetProfile`'s \
          `authorization`, `Bearer <access token>`) derived `Debug`, which printed it. Those \
          builders get a hand-shaped `Debug` instead that shows the field as `[redacted]` (or \
          its conversion error); the fields are listed in `SECRET_BUILDER_FIELDS`.",
        apply: redacted_builder_debug,
    },
    CodeTransform {
        name: "no-unconfigured-client",
        why: "progenitor's `Client::new(baseurl)` builds a `reqwest::Client` with `unwrap()` and \
          reqwest's default redirect policy, which follows a `307`/`308` answer to the token \
          exchange and sends the client secret and code again to wherever `Location` points. \
          It is removed: a generated client comes from `LoginClient::generated()`, \
          or from `new_with_client` with a `reqwest::Client` that follows no redirect.",
        apply: no_unconfigured_client,
    },
];

/// The builder fields that hold a secret as a plain string, by builder:
/// `redacted-builder-debug` redacts them in `Debug`.
pub const SECRET_BUILDER_FIELDS: &[(&str, &str)] =
    &[("Logout", "authorization"), ("GetProfile", "authorization")];

/// Applies every transform of [`CODE`] in order.
pub fn apply_code(file: &mut syn::File) -> Result<(), String> {
    for t in CODE {
        (t.apply)(file).map_err(|e| format!("code transform {}: {e}", t.name))?;
    }
    Ok(())
}

fn squashed(tokens: &impl quote::ToTokens) -> String {
    tokens
        .to_token_stream()
        .to_string()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
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

    fn squash(s: &str) -> String {
        s.chars().filter(|c| !c.is_whitespace()).collect()
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
            #[derive(Debug, Clone)]
            pub struct GetProfile<'a> {
                client: &'a super::Client,
                authorization: Result<::std::string::String, String>,
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
