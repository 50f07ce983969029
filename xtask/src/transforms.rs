//! The transforms applied to the spec before progenitor sees it.
//!
//! `openapi/upstox-login.yaml` describes the wire as it is. A few shapes of
//! that truth are ones progenitor 0.15.1 handles badly (see
//! `shared/progenitor-notes.md`); each transform below rewrites one such shape
//! in the in-memory copy handed to the generator, never in the file. They are
//! listed in [`ALL`] and applied in that order.
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
