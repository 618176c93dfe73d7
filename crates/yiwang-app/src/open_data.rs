//! 数据开放: the open part of the catalogue (开放属性 `open`) for the public.
//!
//! Each open resource of yiwang's own data is exported once a day into a stored
//! document (`open-data:<code>`, JSON: the fields and the records), which the portal
//! serves as JSON and CSV (`/open/data/<code>.json|csv`): a download never reads the
//! cases. Cases are exported when closed, anonymised (category, street, dates,
//! outcome, reply time; text only where the publication filter passes it, masked);
//! a field declared personal is never exported, whatever the resource says.
//! Inspection results are published already (`/api/v1/supervision/results`): the
//! catalogue links there and exports nothing twice.
//!
//! The catalogue of open datasets is published in DCAT v2 terms as JSON-LD
//! (`/open/catalog.jsonld`), which CKAN's harvester (ckanext-dcat) reads.

use crate::catalogue::{ReadQuery, ResourceFilter, open_downloads};
use crate::{App, AppError, Result};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use yiwang_core::share::{Field, OpenClass, Resource, Source};

/// The most records one open dataset exports.
pub const MAX_EXPORT: usize = 100_000;

/// The name of the document that records the last export.
const INDEX: &str = "open-data";

fn doc_name(code: &str) -> String {
    format!("open-data:{code}")
}

/// An exported dataset as stored and served.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct OpenDataset {
    pub code: String,
    pub name: String,
    pub generated_at: DateTime<Utc>,
    pub fields: Vec<Field>,
    pub records: Vec<Map<String, Value>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Index {
    generated_at: DateTime<Utc>,
    /// The China date of the export.
    date: chrono::NaiveDate,
    datasets: Vec<String>,
}

/// Whether yiwang exports the resource itself (not a gateway's, not one published
/// elsewhere already).
fn exported(r: &Resource) -> bool {
    r.open == OpenClass::Open && !matches!(r.source, Source::Gateway { .. } | Source::InspectionResults)
}

impl App {
    /// The open resources, by code.
    pub fn open_resources(&self) -> Result<Vec<Resource>> {
        self.resources(&ResourceFilter { open: Some(OpenClass::Open), ..Default::default() })
    }

    /// Exports every open resource of yiwang's own data now; how many.
    pub fn refresh_open_data(&self) -> Result<usize> {
        let now = self.now();
        let mut done = vec![];
        for r in self.open_resources()?.into_iter().filter(exported) {
            let fields: Vec<Field> = r.fields.iter().filter(|f| !f.personal).cloned().collect();
            let mut records = vec![];
            let mut q = ReadQuery { limit: crate::catalogue::MAX_READ, ..Default::default() };
            loop {
                let page = self.read_resource(&r, &q)?;
                for rec in page.records {
                    // Cases are published once closed (the outcome is known).
                    if matches!(r.source, Source::Cases { .. }) && rec.get("closed_at").is_none_or(Value::is_null) {
                        continue;
                    }
                    records.push(fields.iter().map(|f| (f.name.clone(), rec[&f.name].clone())).collect());
                }
                match page.next {
                    Some(n) if records.len() < MAX_EXPORT => q.after = Some(n),
                    _ => break,
                }
            }
            records.truncate(MAX_EXPORT);
            let d = OpenDataset { code: r.code.clone(), name: r.name.clone(), generated_at: now, fields, records };
            let body = serde_json::to_string(&d).map_err(|e| AppError::Internal(e.to_string()))?;
            self.store.put_document(&doc_name(&r.code), &body, now)?;
            done.push(r.code);
        }
        let index = Index { generated_at: now, date: yiwang_core::calendar::civil_date(now), datasets: done };
        let n = index.datasets.len();
        self.store.put_document(INDEX, &serde_json::to_string(&index).expect("serialises"), now)?;
        Ok(n)
    }

    /// The scheduler's daily export: once per China day.
    pub(crate) fn refresh_open_data_daily(&self) -> Result<()> {
        let today = yiwang_core::calendar::civil_date(self.now());
        let last = match self.store.document(INDEX)? {
            Some(s) => serde_json::from_str::<Index>(&s).ok().map(|i| i.date),
            None => None,
        };
        if last != Some(today) {
            let n = self.refresh_open_data()?;
            tracing::info!(datasets = n, "open data exported");
        }
        Ok(())
    }

    /// An open dataset as last exported; an unknown, closed or not yet exported one
    /// is not found.
    pub fn open_dataset(&self, code: &str) -> Result<OpenDataset> {
        let r = self.resource(code)?;
        if !exported(&r) {
            return Err(AppError::NotFound("开放数据"));
        }
        let s = self.store.document(&doc_name(&r.code))?.ok_or(AppError::NotFound("开放数据"))?;
        serde_json::from_str(&s).map_err(|e| AppError::Internal(format!("open data {code}: {e}")))
    }

    /// The open part of the catalogue as a DCAT v2 catalogue in JSON-LD; `base` is
    /// the portal's public address (`https://yiwang.example.gov.cn`).
    pub fn dcat_catalog(&self, base: &str) -> Result<Value> {
        let base = base.trim_end_matches('/');
        let r = self.reference();
        let district = r.org.district().map(|u| u.name.clone()).unwrap_or_else(|| "yiwang".into());
        let mut datasets = vec![];
        for res in self.open_resources()? {
            let downloads = open_downloads(&res);
            let distributions: Vec<Value> = downloads
                .iter()
                .map(|d| {
                    let csv = d.ends_with(".csv");
                    json!({
                        "@id": format!("{base}{d}"),
                        "@type": "dcat:Distribution",
                        "dct:title": format!("{}（{}）", res.name, if csv { "CSV" } else { "JSON" }),
                        "dcat:downloadURL": { "@id": format!("{base}{d}") },
                        "dcat:accessURL": { "@id": format!("{base}{d}") },
                        "dcat:mediaType": { "@id": if csv { "http://www.iana.org/assignments/media-types/text/csv" } else { "http://www.iana.org/assignments/media-types/application/json" } },
                        "dct:format": if csv { "CSV" } else { "JSON" },
                    })
                })
                .collect();
            let owner = r.unit_name(&res.owner);
            let mut keywords: Vec<String> = vec![res.share.label().to_owned(), owner.clone()];
            keywords.extend(res.fields.iter().take(5).map(|f| f.label.clone()));
            datasets.push(json!({
                "@id": format!("{base}/open#{}", res.code),
                "@type": "dcat:Dataset",
                "dct:identifier": res.code,
                "dct:title": res.name,
                "dct:description": res.description,
                "dct:publisher": {
                    "@id": format!("{base}/open#{}", res.owner),
                    "@type": "foaf:Organization",
                    "foaf:name": owner,
                },
                "dcat:keyword": keywords,
                "dct:accrualPeriodicity": { "@id": res.frequency.dublin_core() },
                "dcat:landingPage": { "@id": format!("{base}/open#{}", res.code) },
                "dcat:distribution": distributions,
            }));
        }
        Ok(json!({
            "@context": {
                "dcat": "http://www.w3.org/ns/dcat#",
                "dct": "http://purl.org/dc/terms/",
                "foaf": "http://xmlns.com/foaf/0.1/",
                "xsd": "http://www.w3.org/2001/XMLSchema#",
            },
            "@id": format!("{base}/open/catalog.jsonld"),
            "@type": "dcat:Catalog",
            "dct:title": format!("{district}公共数据开放目录"),
            "dct:description": "一网共享：政务信息资源目录中无条件开放的数据集",
            "dct:publisher": { "@id": format!("{base}/open#publisher"), "@type": "foaf:Organization", "foaf:name": district },
            "dcat:dataset": datasets,
        }))
    }
}

/// A dataset as CSV (UTF-8 with BOM, for spreadsheets): the fields' labels as the
/// header line, a formula-like leading character quoted away.
pub fn dataset_csv(d: &OpenDataset) -> String {
    fn cell(s: &str) -> String {
        let s = if s.starts_with(['=', '+', '-', '@']) { format!("'{s}") } else { s.to_owned() };
        if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s }
    }
    let mut out = String::from("\u{feff}");
    out.push_str(&d.fields.iter().map(|f| cell(&f.label)).collect::<Vec<_>>().join(","));
    out.push_str("\r\n");
    for r in &d.records {
        let line: Vec<String> = d
            .fields
            .iter()
            .map(|f| match r.get(&f.name) {
                None | Some(Value::Null) => String::new(),
                Some(Value::String(s)) => cell(s),
                Some(v) => cell(&v.to_string()),
            })
            .collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}
