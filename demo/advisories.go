package demo

// The demo's advisory and recall are written for the demo: their
// identifiers say DEMO so that nobody mistakes them for CISA's or FDA's
// real documents; the links go to the real publications' index pages.

const demoCSAF = `{
  "document": {
    "category": "csaf_security_advisory",
    "csaf_version": "2.0",
    "title": "BD Alaris PC Unit (demo advisory)",
    "publisher": {"category": "coordinator", "name": "rounds demo", "namespace": "https://example.invalid/"},
    "references": [
      {"category": "external", "summary": "ICS medical advisories", "url": "https://www.cisa.gov/news-events/cybersecurity-advisories?f%5B0%5D=advisory_type%3A95"}
    ],
    "tracking": {
      "id": "ICSMA-DEMO-0001",
      "current_release_date": "2025-01-15T06:00:00.000Z",
      "initial_release_date": "2025-01-15T06:00:00.000Z",
      "status": "final",
      "version": "1",
      "revision_history": [{"date": "2025-01-15T06:00:00.000Z", "number": "1", "summary": "Initial publication"}]
    }
  },
  "product_tree": {
    "branches": [
      {"category": "vendor", "name": "BD", "branches": [
        {"category": "product_name", "name": "Alaris 8015", "branches": [
          {"category": "product_version_range", "name": "<= 9.19", "product": {"name": "BD Alaris 8015 <= 9.19", "product_id": "CSAFPID-0001"}},
          {"category": "product_version", "name": "12.1.3", "product": {"name": "BD Alaris 8015 12.1.3", "product_id": "CSAFPID-0002"}}
        ]}
      ]}
    ]
  },
  "vulnerabilities": [
    {
      "cve": "CVE-0000-0001",
      "title": "Unauthenticated access to the pump's web service (demo)",
      "product_status": {"known_affected": ["CSAFPID-0001"], "fixed": ["CSAFPID-0002"]},
      "remediations": [{"category": "vendor_fix", "details": "Update the PC Unit software to 12.1.3 or later.", "product_ids": ["CSAFPID-0001"]}],
      "scores": [{"cvss_v3": {"version": "3.1", "baseScore": 8.1, "baseSeverity": "HIGH", "vectorString": "CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:N"}, "products": ["CSAFPID-0001"]}]
    }
  ]
}`

const demoRecalls = `{
  "meta": {"disclaimer": "rounds demo data, not FDA's", "results": {"skip": 0, "limit": 1, "total": 1}},
  "results": [
    {
      "recall_number": "Z-DEMO-2025",
      "event_id": 1,
      "classification": "Class II",
      "status": "Ongoing",
      "recall_initiation_date": "20250110",
      "product_description": "Baxter Sigma Spectrum Infusion System, model 35700 (demo recall)",
      "code_info": "All serial numbers",
      "recalling_firm": "Baxter Healthcare Corporation",
      "reason_for_recall": "Battery module may lose charge early (demo).",
      "product_type": "Devices"
    }
  ]
}`
