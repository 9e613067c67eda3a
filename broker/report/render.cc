// Markdown, CSV and HTML renderings of the procurement report. The HTML is
// one file with inline CSS and SVG charts: it opens offline, no scripts.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "broker/core/markup.h"
#include "broker/core/time.h"
#include "broker/report/compare.h"

namespace icb {

namespace {

std::string Fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string Opt(const std::optional<double>& v, int digits = 4) {
  if (!v) return "-";
  std::string s = Fixed(*v, digits);
  // 99.9500 -> 99.95, 120.0000 -> 120
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  return s;
}

std::string Percent(double share) { return Fixed(100 * share, 1) + " %"; }

const RankedProvider* FindRanked(const RankResult& r, std::string_view id) {
  for (const auto& p : r.ranking)
    if (p.provider == id) return &p;
  return nullptr;
}

std::string KeptText(const std::optional<double>& published, const std::optional<double>& measured, const TargetSpec& spec) {
  if (!published || !measured) return "-";
  return PromiseKept(spec, *published, *measured) ? "kept" : "broken";
}

std::string CloudText(const CloudCheck& c) {
  if (c.flagged) return "flagged";
  return c.secured ? "secured" : "not secured";
}

std::string RankText(const PolicyRanking& pr, std::string_view id) {
  if (!pr.result) return "n/a";
  const RankedProvider* rp = FindRanked(*pr.result, id);
  return rp ? std::to_string(rp->rank) : "excluded";
}

std::string Title(const CompareReport& r) {
  return "Provider comparison" + (r.profile.id.empty() ? std::string() : " for profile " + r.profile.id);
}

// Ranked providers first, in rank order; then the excluded, by id.
std::vector<const ProviderComparison*> InRankOrder(const CompareReport& r) {
  std::vector<const ProviderComparison*> out;
  const RankResult& base = *r.rankings[0].result;
  for (const auto& rp : base.ranking)
    for (const auto& p : r.providers)
      if (p.id == rp.provider) out.push_back(&p);
  for (const auto& p : r.providers)
    if (!p.excluded.empty()) out.push_back(&p);
  return out;
}

std::string CostCell(const ProviderComparison& p) {
  if (!p.cost) return "-";
  return Fixed(p.cost->monthly, 2);
}

std::string EffectiveCell(const ProviderComparison& p) {
  if (!p.cost) return "-";
  return Fixed(p.cost->effective, 2);
}

// ---------------------------------------------------------------- Markdown

std::string MdEscape(std::string s) {
  std::string out;
  for (char c : s) {
    if (c == '|') out += "\\|";
    else if (c == '\n') out += ' ';
    else out += c;
  }
  return out;
}

std::string ToMarkdown(const CompareReport& r) {
  const RankResult& base = *r.rankings[0].result;
  std::string md = "# " + Title(r) + "\n\n";
  md += "- At: " + FormatRfc3339(r.at) + " (catalog version " + std::to_string(r.catalog_version) + ")\n";
  md += "- Policy: " + r.profile.policy + ", evidence: " + std::string(EvidenceBasisName(r.profile.evidence)) + "\n";
  md += "- Winner: " + (r.winner.empty() ? std::string("none (every provider excluded)") : r.winner) + "\n";
  if (r.profile.cost) md += "- Costs per month in " + r.profile.cost->currency + "\n";
  md += "\n## Weights\n\n| Criterion | Weight |\n|---|---|\n";
  for (int c = 0; c < kNumColumns; ++c) md += "| " + std::string(kColumnNames[c]) + " | " + Percent(base.weights[c]) + " |\n";

  md += "\n## Ranking\n\n| Provider |";
  for (const auto& pr : r.rankings) md += " " + pr.policy + " |";
  md += " Score (" + r.profile.policy + ") | Cost/month | Effective | Cloud check |\n|---|";
  for (size_t i = 0; i < r.rankings.size(); ++i) md += "---|";
  md += "---|---|---|---|\n";
  for (const auto* p : InRankOrder(r)) {
    md += "| " + p->id + " |";
    for (const auto& pr : r.rankings) md += " " + RankText(pr, p->id) + " |";
    const RankedProvider* rp = FindRanked(base, p->id);
    md += " " + (rp ? Fixed(rp->score, 4) : std::string("-")) + " | " + CostCell(*p) + " | " + EffectiveCell(*p) + " | " + CloudText(p->cloud) + " |\n";
  }
  for (const auto& pr : r.rankings)
    if (!pr.result) md += "\n" + pr.policy + " did not rank: " + MdEscape(pr.error) + "\n";
    else if (pr.result->consistency_ratio) md += "\n" + pr.policy + " consistency ratio: " + Fixed(*pr.result->consistency_ratio, 3) + "\n";

  md += "\n## Breakdown (" + r.profile.policy + ": contribution of each criterion)\n\n| Provider |";
  for (int c = 0; c < kNumColumns; ++c) md += " " + std::string(kColumnNames[c]) + " |";
  md += "\n|---|";
  for (int c = 0; c < kNumColumns; ++c) md += "---|";
  md += "\n";
  for (const auto& rp : base.ranking) {
    md += "| " + rp.provider + " |";
    for (int c = 0; c < kNumColumns; ++c) md += " " + Fixed(rp.criteria[c].contribution, 4) + " |";
    md += "\n";
  }

  md += "\n## Published and measured\n";
  for (const auto* p : InRankOrder(r)) {
    md += "\n### " + p->id + " (" + MdEscape(p->name) + ")\n\nSLA " + (p->sla ? p->sla->version : std::string("none in force")) +
          "; measured coverage " + Fixed(p->coverage_percent, 2) + " %" + (p->measured ? "" : " (too little to count)") + "\n\n";
    md += "| Target | Unit | Published | Measured | Promise | Evidence |\n|---|---|---|---|---|---|\n";
    for (int t = 0; t < kNumTargets; ++t) {
      const TargetSpec& spec = kTargets[t];
      TargetPair values = Values(*p, t);
      const std::optional<double>& pub = values.published;
      const std::optional<double>& mea = values.measured;
      std::string evidence = "-";
      if (spec.checklist && p->sla) {
        Evidence e = p->sla->ChecklistEvidence(spec.name);
        evidence = std::string(EvidenceName(e)) + (EvidenceVerified(e) ? " (verified)" : " (not verified)");
      }
      md += "| " + std::string(spec.name) + " | " + std::string(spec.unit) + " | " + Opt(pub) + " | " + Opt(mea) + " | " + KeptText(pub, mea, spec) + " | " + evidence + " |\n";
    }
    md += "\nEssential characteristics: " + CloudText(p->cloud) + "\n\n| Characteristic | Met | Evidence | Note |\n|---|---|---|---|\n";
    for (int i = 0; i < kNumCharacteristics; ++i) {
      const auto& s = p->cloud.items[i];
      std::string note = s.contradicted ? "claimed, observed to fail" : "";
      if (!s.detail.empty()) note += (note.empty() ? "" : ": ") + s.detail;
      md += "| " + std::string(kCharacteristicNames[i]) + " | " + (s.met ? "yes" : "no") + " | " + std::string(EvidenceName(s.evidence)) + " | " + MdEscape(note) + " |\n";
    }
    if (!p->excluded.empty()) {
      md += "\nExcluded:\n";
      for (const auto& reason : p->excluded) md += "- " + MdEscape(reason) + "\n";
    }
  }

  if (r.profile.cost) {
    md += "\n## Cost (" + r.profile.cost->currency + " per month)\n\n| Provider | Offer | Billed | Expected credit | Effective |\n|---|---|---|---|---|\n";
    for (const auto* p : InRankOrder(r)) {
      if (!p->cost) {
        md += "| " + p->id + " | none applies | - | - | - |\n";
        continue;
      }
      md += "| " + p->id + " | " + p->cost->offer + " | " + Fixed(p->cost->monthly, 2) + " | " +
            (p->cost->credit_percent ? Fixed(p->cost->expected_credit, 2) + " (" + Opt(p->cost->credit_percent, 3) + " %)" : std::string("no history")) +
            " | " + Fixed(p->cost->effective, 2) + " |\n";
    }
  }

  md += "\n## Sensitivity (each weight x0.8 and x1.2)\n\n";
  bool changes = std::any_of(r.sensitivity.begin(), r.sensitivity.end(), [](const SensitivityCase& s) { return s.changed; });
  md += changes ? "The winner changes in the cases marked below.\n\n" : "The winner holds in every case.\n\n";
  md += "| Criterion | Change | Weight after | Winner | Changed |\n|---|---|---|---|---|\n";
  for (const auto& s : r.sensitivity)
    md += "| " + s.column + " | " + (s.factor < 1 ? "-20 %" : "+20 %") + " | " + Percent(s.weight) + " | " + (s.winner.empty() ? "-" : s.winner) + " | " + (s.changed ? "**yes**" : "no") + " |\n";

  md += "\n## SLA credits earned, last three months\n\n| Provider | Month | SLA | Availability | Coverage | Credit |\n|---|---|---|---|---|---|\n";
  for (const auto* p : InRankOrder(r)) {
    if (p->credits.empty()) md += "| " + p->id + " | - | - | - | - | no SLA or no data |\n";
    for (const auto& m : p->credits) {
      auto amount = CreditAmount(m, *p, r.profile);
      md += "| " + p->id + " | " + m.month + " | " + m.sla_version + " | " + (m.coverage_percent > 0 ? Fixed(m.availability_percent, 4) + " %" : std::string("not measured")) +
            " | " + Fixed(m.coverage_percent, 2) + " % | " + (m.coverage_percent > 0 ? Opt(m.credit_percent, 2) + " %" + (amount ? " = " + Fixed(amount->first, 2) + " " + amount->second : "") : std::string("no data")) + " |\n";
    }
  }
  return md;
}

// --------------------------------------------------------------------- CSV

std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

// One row per provider: ranks, scores, cost, cloud check, credits, and every
// target's published and measured value.
std::string ToCsv(const CompareReport& r) {
  const RankResult& base = *r.rankings[0].result;
  std::vector<std::string> header = {"provider", "name", "sla_version", "excluded"};
  for (const auto& pr : r.rankings) header.push_back("rank_" + pr.policy);
  header.push_back("score_" + r.profile.policy);
  for (int c = 0; c < kNumColumns; ++c) header.push_back("score_" + std::string(kColumnNames[c]));
  for (const char* h : {"currency", "offer", "monthly_cost", "expected_credit", "effective_cost", "cloud_check", "coverage_percent"}) header.push_back(h);
  for (int i = 1; i <= 3; ++i) {
    header.push_back("credit_month_" + std::to_string(i));
    header.push_back("credit_percent_" + std::to_string(i));
  }
  for (const auto& spec : kTargets) {
    header.push_back(std::string(spec.name) + "_published");
    header.push_back(std::string(spec.name) + "_measured");
    header.push_back(std::string(spec.name) + "_kept");
  }
  std::string csv;
  for (size_t i = 0; i < header.size(); ++i) csv += (i ? "," : "") + CsvField(header[i]);
  csv += "\r\n";
  for (const auto* p : InRankOrder(r)) {
    std::vector<std::string> row = {p->id, p->name, p->sla ? p->sla->version : ""};
    std::string reasons;
    for (const auto& reason : p->excluded) reasons += (reasons.empty() ? "" : "; ") + reason;
    row.push_back(reasons);
    for (const auto& pr : r.rankings) row.push_back(pr.result ? (FindRanked(*pr.result, p->id) ? std::to_string(FindRanked(*pr.result, p->id)->rank) : "") : "");
    const RankedProvider* rp = FindRanked(base, p->id);
    row.push_back(rp ? Opt(rp->score, 6) : "");
    for (int c = 0; c < kNumColumns; ++c) row.push_back(rp ? Opt(rp->criteria[c].score, 6) : "");
    row.push_back(r.profile.cost ? r.profile.cost->currency : "");
    row.push_back(p->cost ? p->cost->offer : "");
    row.push_back(p->cost ? Fixed(p->cost->monthly, 2) : "");
    row.push_back(p->cost ? Fixed(p->cost->expected_credit, 2) : "");
    row.push_back(p->cost ? Fixed(p->cost->effective, 2) : "");
    row.push_back(CloudText(p->cloud));
    row.push_back(Fixed(p->coverage_percent, 2));
    for (size_t i = 0; i < 3; ++i) {
      row.push_back(i < p->credits.size() ? p->credits[i].month : "");
      row.push_back(i < p->credits.size() ? Opt(p->credits[i].credit_percent, 2) : "");
    }
    for (int t = 0; t < kNumTargets; ++t) {
      TargetPair values = Values(*p, t);
      const std::optional<double>& pub = values.published;
      const std::optional<double>& mea = values.measured;
      row.push_back(pub ? Opt(pub, 6) : "");
      row.push_back(mea ? Opt(mea, 6) : "");
      std::string kept = KeptText(pub, mea, kTargets[t]);
      row.push_back(kept == "-" ? "" : kept);
    }
    for (size_t i = 0; i < row.size(); ++i) csv += (i ? "," : "") + CsvField(row[i]);
    csv += "\r\n";
  }
  return csv;
}

// -------------------------------------------------------------------- HTML

std::string Html(std::string_view s) { return EscapeMarkup(s); }

// Colour-blind-safe palette (Okabe-Ito), one colour per column.
constexpr std::array<const char*, kNumColumns> kColours = {"#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#555555"};

// Horizontal stacked bars: each ranked provider's score split by the
// contribution of each criterion.
std::string ScoreChart(const RankResult& base) {
  const int bar = 22, gap = 8, label = 150, width = 560;
  double max = 0;
  for (const auto& p : base.ranking) {
    double sum = 0;
    for (const auto& c : p.criteria) sum += std::max(0.0, c.contribution);
    max = std::max(max, sum);
  }
  if (max <= 0) max = 1;
  int height = static_cast<int>(base.ranking.size()) * (bar + gap) + 12;
  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"Score breakdown\" width=\"" + std::to_string(label + width + 70) +
                    "\" height=\"" + std::to_string(height) + "\">";
  int y = 10;
  for (const auto& p : base.ranking) {
    svg += "<text x=\"" + std::to_string(label - 6) + "\" y=\"" + std::to_string(y + 16) + "\" text-anchor=\"end\">" + Html(p.provider) + "</text>";
    double x = label;
    for (int c = 0; c < kNumColumns; ++c) {
      double w = std::max(0.0, p.criteria[c].contribution) / max * width;
      if (w <= 0) continue;
      svg += "<rect x=\"" + Fixed(x, 1) + "\" y=\"" + std::to_string(y) + "\" width=\"" + Fixed(w, 1) + "\" height=\"" + std::to_string(bar) +
             "\" fill=\"" + kColours[c] + "\"><title>" + Html(p.provider) + " " + std::string(kColumnNames[c]) + ": " + Fixed(p.criteria[c].contribution, 4) + "</title></rect>";
      x += w;
    }
    svg += "<text x=\"" + Fixed(x + 6, 1) + "\" y=\"" + std::to_string(y + 16) + "\">" + Fixed(p.score, 3) + "</text>";
    y += bar + gap;
  }
  return svg + "</svg>";
}

// Grouped bars: billed and effective monthly cost per provider.
std::string CostChart(const CompareReport& r) {
  std::vector<const ProviderComparison*> priced;
  double max = 0;
  for (const auto* p : InRankOrder(r))
    if (p->cost) {
      priced.push_back(p);
      max = std::max(max, p->cost->monthly);
    }
  if (priced.empty()) return "<p>No offer prices the profile's usage.</p>";
  if (max <= 0) max = 1;
  const int bar = 12, label = 150, width = 480;
  int height = static_cast<int>(priced.size()) * (2 * bar + 10) + 30;
  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"Monthly cost\" width=\"" + std::to_string(label + width + 120) +
                    "\" height=\"" + std::to_string(height) + "\">";
  int y = 8;
  for (const auto* p : priced) {
    svg += "<text x=\"" + std::to_string(label - 6) + "\" y=\"" + std::to_string(y + bar + 4) + "\" text-anchor=\"end\">" + Html(p->id) + "</text>";
    double wb = p->cost->monthly / max * width, we = std::max(0.0, p->cost->effective) / max * width;
    svg += "<rect x=\"" + std::to_string(label) + "\" y=\"" + std::to_string(y) + "\" width=\"" + Fixed(wb, 1) + "\" height=\"" + std::to_string(bar) + "\" fill=\"#0072B2\"/>";
    svg += "<text class=\"small\" x=\"" + Fixed(label + wb + 4, 1) + "\" y=\"" + std::to_string(y + 10) + "\">" + Fixed(p->cost->monthly, 2) + "</text>";
    svg += "<rect x=\"" + std::to_string(label) + "\" y=\"" + std::to_string(y + bar) + "\" width=\"" + Fixed(we, 1) + "\" height=\"" + std::to_string(bar) + "\" fill=\"#009E73\"/>";
    svg += "<text class=\"small\" x=\"" + Fixed(label + we + 4, 1) + "\" y=\"" + std::to_string(y + bar + 10) + "\">" + Fixed(p->cost->effective, 2) + "</text>";
    y += 2 * bar + 10;
  }
  svg += "<rect x=\"" + std::to_string(label) + "\" y=\"" + std::to_string(y + 2) + "\" width=\"10\" height=\"10\" fill=\"#0072B2\"/><text class=\"small\" x=\"" +
         std::to_string(label + 14) + "\" y=\"" + std::to_string(y + 11) + "\">billed</text>";
  svg += "<rect x=\"" + std::to_string(label + 70) + "\" y=\"" + std::to_string(y + 2) + "\" width=\"10\" height=\"10\" fill=\"#009E73\"/><text class=\"small\" x=\"" +
         std::to_string(label + 84) + "\" y=\"" + std::to_string(y + 11) + "\">effective (after expected credits)</text>";
  return svg + "</svg>";
}

// The HTML report, section by section; every value goes through Html().
std::string HtmlHead(const CompareReport& r) {
  std::string h = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + Html(Title(r)) + "</title>\n<style>\n"
                  "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2em;color:#222;max-width:1100px}"
                  "table{border-collapse:collapse;margin:.5em 0 1.5em}th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;font-size:14px}"
                  "th{background:#f3f3f3}td.num{text-align:right;font-variant-numeric:tabular-nums}.kept{color:#007a3d}.broken{color:#b00020;font-weight:bold}"
                  ".flag{color:#b00020;font-weight:bold}.muted{color:#777}svg text{font-size:13px;font-family:inherit}svg text.small{font-size:11px}"
                  "h1{font-size:1.6em}h2{margin-top:1.6em;border-bottom:1px solid #ddd}details{margin:.4em 0}\n</style></head><body>\n";
  h += "<h1>" + Html(Title(r)) + "</h1>\n<p>At " + Html(FormatRfc3339(r.at)) + " &middot; catalog version " + std::to_string(r.catalog_version) +
       " &middot; policy <b>" + Html(r.profile.policy) + "</b> &middot; evidence " + Html(EvidenceBasisName(r.profile.evidence)) + "</p>\n";
  h += "<p>Winner: <b>" + Html(r.winner.empty() ? "none (every provider excluded)" : r.winner) + "</b></p>\n";

  return h;
}

std::string HtmlRanking(const CompareReport& r) {
  const RankResult& base = *r.rankings[0].result;
  std::string h;
  h += "<h2>Ranking</h2>\n<table><tr><th>Provider</th>";
  for (const auto& pr : r.rankings) h += "<th>" + Html(pr.policy) + " v" + std::to_string(pr.version) + "</th>";
  h += "<th>Score</th><th>Cost/month</th><th>Effective</th><th>Cloud check</th></tr>\n";
  for (const auto* p : InRankOrder(r)) {
    h += "<tr><td>" + Html(p->id) + "</td>";
    for (const auto& pr : r.rankings) h += "<td class=\"num\">" + Html(RankText(pr, p->id)) + "</td>";
    const RankedProvider* rp = FindRanked(base, p->id);
    std::string cloud = CloudText(p->cloud);
    h += "<td class=\"num\">" + (rp ? Fixed(rp->score, 4) : "-") + "</td><td class=\"num\">" + CostCell(*p) + "</td><td class=\"num\">" + EffectiveCell(*p) +
         "</td><td" + (p->cloud.flagged ? " class=\"flag\"" : "") + ">" + cloud + "</td></tr>\n";
  }
  h += "</table>\n";
  for (const auto& pr : r.rankings) {
    if (!pr.result) h += "<p class=\"muted\">" + Html(pr.policy) + " did not rank: " + Html(pr.error) + "</p>\n";
    else if (pr.result->consistency_ratio) h += "<p class=\"muted\">" + Html(pr.policy) + " consistency ratio " + Fixed(*pr.result->consistency_ratio, 3) + "</p>\n";
  }

  return h;
}

std::string HtmlScoreBreakdown(const CompareReport& r) {
  const RankResult& base = *r.rankings[0].result;
  std::string h;
  h += "<h2>Score breakdown (" + Html(r.profile.policy) + ")</h2>\n" + ScoreChart(base) +
       "\n<p class=\"muted\">Each bar is a provider's score split by criterion, coloured as in the table.</p>\n<table><tr><th>Criterion</th><th>Weight</th>";
  for (const auto& rp : base.ranking) h += "<th>" + Html(rp.provider) + "</th>";
  h += "</tr>\n";
  for (int c = 0; c < kNumColumns; ++c) {
    h += "<tr><td><span style=\"color:" + std::string(kColours[c]) + "\">&#9632;</span> " + std::string(kColumnNames[c]) + "</td><td class=\"num\">" + Percent(base.weights[c]) + "</td>";
    for (const auto& rp : base.ranking) h += "<td class=\"num\" title=\"score " + Fixed(rp.criteria[c].score, 4) + "\">" + Fixed(rp.criteria[c].contribution, 4) + "</td>";
    h += "</tr>\n";
  }
  h += "</table>\n";

  return h;
}

std::string HtmlSensitivity(const CompareReport& r) {
  std::string h;
  h += "<h2>Sensitivity</h2>\n";
  bool changes = std::any_of(r.sensitivity.begin(), r.sensitivity.end(), [](const SensitivityCase& s) { return s.changed; });
  h += std::string("<p>") + (changes ? "<span class=\"flag\">The winner changes</span> when a weight moves by 20 %:" : "The winner holds when any weight moves by 20 %.") + "</p>\n";
  h += "<table><tr><th>Criterion</th><th>Change</th><th>Weight after</th><th>Winner</th></tr>\n";
  for (const auto& s : r.sensitivity)
    h += "<tr><td>" + s.column + "</td><td>" + (s.factor < 1 ? "-20 %" : "+20 %") + "</td><td class=\"num\">" + Percent(s.weight) + "</td><td" +
         (s.changed ? " class=\"flag\"" : "") + ">" + Html(s.winner.empty() ? "-" : s.winner) + "</td></tr>\n";
  h += "</table>\n";

  return h;
}

std::string HtmlTargets(const ProviderComparison& p) {
  std::string h;
  h += "<table><tr><th>Target</th><th>Unit</th><th>Published</th><th>Measured</th><th>Promise</th><th>Evidence</th></tr>\n";
  for (int t = 0; t < kNumTargets; ++t) {
    const TargetSpec& spec = kTargets[t];
    TargetPair values = Values(p, t);
    const std::optional<double>& pub = values.published;
    const std::optional<double>& mea = values.measured;
    std::string kept = KeptText(pub, mea, spec);
    std::string evidence = "";
    if (spec.checklist && p.sla) {
      Evidence e = p.sla->ChecklistEvidence(spec.name);
      evidence = std::string(EvidenceName(e)) + (EvidenceVerified(e) ? " (verified)" : " (not verified)");
    }
    h += "<tr><td>" + std::string(spec.name) + "</td><td>" + std::string(spec.unit) + "</td><td class=\"num\">" + Opt(pub) + "</td><td class=\"num\">" + Opt(mea) +
         "</td><td class=\"" + (kept == "kept" ? "kept" : kept == "broken" ? "broken" : "muted") + "\">" + kept + "</td><td>" + Html(evidence) + "</td></tr>\n";
  }
  h += "</table>\n";
  return h;
}

std::string HtmlCharacteristics(const ProviderComparison& p) {
  std::string h;
  h += "<table><tr><th>Essential characteristic</th><th>Met</th><th>Evidence</th><th>Note</th></tr>\n";
  for (int i = 0; i < kNumCharacteristics; ++i) {
    const auto& s = p.cloud.items[i];
    std::string note = s.contradicted ? "claimed, observed to fail" : "";
    if (!s.detail.empty()) note += (note.empty() ? "" : ": ") + s.detail;
    h += "<tr><td>" + std::string(kCharacteristicNames[i]) + "</td><td>" + (s.met ? "yes" : "no") + "</td><td>" + std::string(EvidenceName(s.evidence)) + "</td><td" +
         (s.contradicted ? " class=\"flag\"" : "") + ">" + Html(note) + "</td></tr>\n";
  }
  h += "</table>\n";
  return h;
}

std::string HtmlCredits(const CompareReport& r, const ProviderComparison& p) {
  std::string h;
  if (!p.credits.empty()) {
    h += "<table><tr><th>Month</th><th>SLA</th><th>Availability</th><th>Coverage</th><th>Credit</th></tr>\n";
    for (const auto& m : p.credits) {
      auto amount = CreditAmount(m, p, r.profile);
      h += "<tr><td>" + m.month + "</td><td>" + Html(m.sla_version) + "</td><td class=\"num\">" +
           (m.coverage_percent > 0 ? Fixed(m.availability_percent, 4) + " %" : std::string("not measured")) + "</td><td class=\"num\">" + Fixed(m.coverage_percent, 2) +
           " %</td><td class=\"num\">" + (m.coverage_percent > 0 ? Opt(m.credit_percent, 2) + " %" + (amount ? " = " + Fixed(amount->first, 2) + " " + Html(amount->second) : "") : std::string("no data")) + "</td></tr>\n";
    }
    h += "</table>\n";
  }
  return h;
}

// One provider: published and measured targets, the essential
// characteristics, and the months' credits, folded unless it won.
std::string HtmlProviderDetails(const CompareReport& r, const ProviderComparison& p) {
  std::string h;
  h += "<details" + std::string(p.id == r.winner ? " open" : "") + "><summary><b>" + Html(p.id) + "</b> " + Html(p.name) + " &middot; SLA " +
       Html(p.sla ? p.sla->version : "none in force") + " &middot; coverage " + Fixed(p.coverage_percent, 2) + " %" +
       (p.excluded.empty() ? "" : " &middot; <span class=\"flag\">excluded</span>") + "</summary>\n";
  if (!p.excluded.empty()) {
    h += "<ul>";
    for (const auto& reason : p.excluded) h += "<li>" + Html(reason) + "</li>";
    h += "</ul>\n";
  }
  h += HtmlTargets(p) + HtmlCharacteristics(p) + HtmlCredits(r, p);
  h += "</details>\n";
  return h;
}

std::string ToHtml(const CompareReport& r) {
  std::string h = HtmlHead(r) + HtmlRanking(r) + HtmlScoreBreakdown(r);
  if (r.profile.cost) h += "<h2>Monthly cost (" + Html(r.profile.cost->currency) + ")</h2>\n" + CostChart(r) + "\n";
  h += HtmlSensitivity(r);
  h += "<h2>Published and measured, per provider</h2>\n";
  for (const auto* p : InRankOrder(r)) h += HtmlProviderDetails(r, *p);
  h += "<p class=\"muted\">Scores use fixed anchors per target; management checks count by evidence (observed 1, certified 0.9, documented 0.75, declared 0.5). "
       "Declared and documented evidence is never shown as verified.</p>\n</body></html>\n";
  return h;
}

}  // namespace

std::string RenderCompare(const CompareReport& report, ReportFormat format) {
  switch (format) {
    case ReportFormat::kJson: return CompareToJson(report);
    case ReportFormat::kMarkdown: return ToMarkdown(report);
    case ReportFormat::kCsv: return ToCsv(report);
    case ReportFormat::kHtml: return ToHtml(report);
  }
  return CompareToJson(report);
}

}  // namespace icb
