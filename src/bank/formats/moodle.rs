//! Moodle XML (`<quiz><question type="…">…</question></quiz>`), read with quick-xml: `multichoice` (single or
//! multiple by `<single>`), `truefalse` and `shortanswer` questions; `category` pseudo-questions set the
//! category of the questions after them; `description` items are skipped. HTML in texts becomes plain text.
//! `<generalfeedback>` is the explanation, `<idnumber>` the question id, `<tags>` the tags. Errors give the
//! line of the `<question>` element (or of the XML fault).

use quick_xml::Reader;
use quick_xml::events::Event;

use super::draft::{self, Draft, Header, Labels, Location};
use super::{Source, defaults, guess_language};
use crate::bank::model::QuestionType;
use crate::bank::{BankError, LocatedBank, count_blanks, option_letter};

/// A parsed element with the line it starts on.
#[derive(Debug, Default)]
struct Element {
    name: String,
    attributes: Vec<(String, String)>,
    children: Vec<Element>,
    text: String,
    line: usize,
}

impl Element {
    fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    fn children<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> {
        self.children.iter().filter(move |c| c.name == name)
    }

    fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The text of `<name><text>…</text></name>`, HTML made plain unless the format says otherwise.
    fn text_of(&self, name: &str) -> Option<String> {
        let element = self.child(name)?;
        let text = element
            .child("text")
            .map_or(element.text.as_str(), |t| t.text.as_str());
        let plain = matches!(element.attribute("format"), Some("plain_text" | "markdown"));
        Some(if plain {
            text.trim().to_string()
        } else {
            html_to_text(text)
        })
    }
}

fn parse(text: &str) -> Result<Element, (usize, String)> {
    let mut reader = Reader::from_str(text);
    let line_at = |offset: u64| {
        let offset = usize::try_from(offset).unwrap_or(usize::MAX).min(text.len());
        1 + text.as_bytes()[..offset].iter().filter(|&&b| b == b'\n').count()
    };
    let mut stack: Vec<Element> = vec![Element::default()];
    loop {
        let at = reader.buffer_position();
        let event = reader
            .read_event()
            .map_err(|e| (line_at(reader.error_position()), format!("malformed XML: {e}")))?;
        let open = |e: &quick_xml::events::BytesStart<'_>| -> Result<Element, (usize, String)> {
            let mut attributes = Vec::new();
            for attribute in e.attributes() {
                let attribute =
                    attribute.map_err(|e| (line_at(at), format!("malformed XML attribute: {e}")))?;
                let value = (attribute.normalized_value(quick_xml::XmlVersion::Implicit1_0))
                    .map_err(|e| (line_at(at), format!("malformed XML attribute: {e}")))?;
                attributes.push((attribute.key.as_ref().to_string(), value.into_owned()));
            }
            Ok(Element {
                name: e.name().as_ref().to_string(),
                attributes,
                line: line_at(at),
                ..Element::default()
            })
        };
        let top = stack.len() - 1;
        match event {
            Event::Start(e) => {
                let element = open(&e)?;
                stack.push(element);
            }
            Event::Empty(e) => {
                let element = open(&e)?;
                stack[top].children.push(element);
            }
            Event::End(_) => {
                if stack.len() < 2 {
                    return Err((
                        line_at(at),
                        "malformed XML: an end tag without its start tag".into(),
                    ));
                }
                let done = stack.pop().expect("an open element");
                stack.last_mut().expect("the document").children.push(done);
            }
            Event::Text(t) => stack[top].text.push_str(&t.xml10_content()),
            Event::CData(c) => stack[top].text.push_str(&c.xml10_content()),
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    _ => quick_xml::escape::resolve_predefined_entity(&r)
                        .ok_or_else(|| (line_at(at), format!("unknown XML entity `&{};`", &*r)))?
                        .to_string(),
                };
                stack[top].text.push_str(&resolved);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if stack.len() != 1 {
        let open = stack.last().map_or(String::new(), |e| e.name.clone());
        return Err((
            line_at(text.len() as u64),
            format!("malformed XML: <{open}> is not closed"),
        ));
    }
    let mut document = stack.pop().expect("the document");
    document.children.retain(|c| !c.name.is_empty());
    match document.children.pop() {
        Some(root) if root.name == "quiz" => Ok(root),
        Some(root) => Err((
            root.line,
            format!(
                "not a Moodle XML quiz: the root element is <{}>, not <quiz>",
                root.name
            ),
        )),
        None => Err((1, "not a Moodle XML quiz: no <quiz> element".into())),
    }
}

struct Item {
    line: usize,
    id: Option<String>,
    category: Option<String>,
    qtype: QuestionType,
    stem: String,
    options: Vec<String>,
    answer: toml::Value,
    explanation: Option<String>,
    tags: Vec<String>,
}

pub fn load(source: &Source<'_>, text: &str) -> Result<LocatedBank, Vec<BankError>> {
    let at = |line: usize| Location::new(source.name, line);
    let quiz = parse(text).map_err(|(line, message)| vec![at(line).error(message)])?;
    let mut errors = Vec::new();
    let mut items = Vec::new();
    let mut category = None;
    for question in quiz.children("question") {
        match question.attribute("type").unwrap_or("") {
            "category" => {
                category = question
                    .text_of("category")
                    .map(|c| super::gift::clean_category(&c));
            }
            "description" => {}
            kind => match item(question, kind, category.clone()) {
                Ok(item) => items.push(item),
                Err(message) => errors.push(at(question.line).error(message)),
            },
        }
    }
    let id = source.bank_id(None).map_err(|e| {
        errors.push(e);
        errors.clone()
    })?;
    let language = guess_language(items.iter().map(|i| i.stem.as_str())).to_string();
    let places: Vec<Location> = items.iter().map(|i| at(i.line)).collect();
    let drafts: Vec<Draft> = (items.into_iter().enumerate())
        .map(|(n, item)| Draft {
            id: Some(item.id.unwrap_or_else(|| format!("{id}-{:04}", n + 1))),
            qtype: Some(item.qtype),
            category: Some(
                item.category
                    .unwrap_or_else(|| defaults::category(&language).into()),
            ),
            difficulty: Some(defaults::DIFFICULTY),
            explanation: Some((item.explanation).unwrap_or_else(|| {
                defaults::explanation(&language, &draft::answer_text(&item.answer, &language))
            })),
            source: Some(source.base_name.clone()),
            stem: Some(item.stem),
            options: (!item.options.is_empty()).then_some(item.options),
            answer: Some(item.answer),
            tags: item.tags,
            ..Draft::default()
        })
        .collect();
    let header = Header {
        id,
        title: source.default_title(),
        language,
    };
    let labels = Labels {
        header_at: at(0),
        field: Box::new(|_| None),
        cells: false,
    };
    draft::validate(&header, &drafts, &places, &labels, errors)
}

fn item(question: &Element, kind: &str, category: Option<String>) -> Result<Item, String> {
    let stem = question.text_of("questiontext").unwrap_or_default();
    let answers: Vec<(f64, String)> = question
        .children("answer")
        .map(|a| {
            let fraction = a
                .attribute("fraction")
                .and_then(|f| f.trim().parse::<f64>().ok())
                .unwrap_or(0.0);
            let plain = matches!(a.attribute("format"), Some("plain_text" | "markdown"));
            let text = a.child("text").map_or(a.text.as_str(), |t| t.text.as_str());
            (
                fraction,
                if plain {
                    text.trim().to_string()
                } else {
                    html_to_text(text)
                },
            )
        })
        .collect();
    let full = |(fraction, _): &&(f64, String)| *fraction >= 100.0;
    let (qtype, options, answer, stem) = match kind {
        "multichoice" => {
            let single = question
                .text_of("single")
                .is_none_or(|s| s.trim() != "false" && s.trim() != "0");
            let correct: Vec<usize> = (0..answers.len())
                .filter(|&i| {
                    if single {
                        answers[i].0 >= 100.0
                    } else {
                        answers[i].0 > 0.0
                    }
                })
                .collect();
            let letters: String = correct.iter().map(|&i| option_letter(i)).collect();
            let qtype = if single {
                QuestionType::Single
            } else {
                QuestionType::Multiple
            };
            let options = answers.into_iter().map(|(_, text)| text).collect();
            (qtype, options, toml::Value::String(letters), stem)
        }
        "truefalse" => {
            let right = answers
                .iter()
                .find(full)
                .map(|(_, text)| text.trim().to_ascii_lowercase());
            let value = match right.as_deref() {
                Some("true") => true,
                Some("false") => false,
                _ => {
                    return Err(
                        "a truefalse question needs an answer `true` or `false` with fraction 100".into(),
                    );
                }
            };
            (
                QuestionType::TrueFalse,
                Vec::new(),
                toml::Value::Boolean(value),
                stem,
            )
        }
        "shortanswer" => {
            let alternatives: Vec<toml::Value> = answers
                .iter()
                .filter(full)
                .map(|(_, text)| toml::Value::String(text.clone()))
                .collect();
            let stem = if count_blanks(&stem) > 0 {
                stem
            } else {
                format!("{stem}____")
            };
            (
                QuestionType::Fill,
                Vec::new(),
                toml::Value::Array(vec![toml::Value::Array(alternatives)]),
                stem,
            )
        }
        other => {
            return Err(format!(
                "question type `{other}` is not supported (only multichoice, truefalse and shortanswer are imported)"
            ));
        }
    };
    let tags = (question.child("tags").into_iter())
        .flat_map(|t| t.children("tag"))
        .filter_map(|t| t.child("text").map(|x| x.text.trim().to_string()))
        .filter(|t| !t.is_empty())
        .collect();
    Ok(Item {
        line: question.line,
        id: question.text_of("idnumber").filter(|id| !id.trim().is_empty()),
        category,
        qtype,
        stem,
        options,
        answer,
        explanation: question
            .text_of("generalfeedback")
            .filter(|e| !e.trim().is_empty()),
        tags,
    })
}

/// Moodle texts are HTML: line breaks for `<br>` and block ends, other tags dropped, entities decoded.
pub fn html_to_text(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        out.push_str(&decode_entities(&rest[..open]));
        let Some(close) = rest[open..].find('>') else {
            out.push_str(&decode_entities(&rest[open..]));
            rest = "";
            break;
        };
        let tag = rest[open + 1..open + close].trim().to_ascii_lowercase();
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        let block_end =
            tag.starts_with('/') && matches!(name.as_str(), "p" | "div" | "li" | "tr" | "h1" | "h2" | "h3");
        if name == "br" || block_end {
            out.push('\n');
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(&decode_entities(rest));
    let lines: Vec<&str> = out.lines().map(str::trim).collect();
    let mut text = lines.join("\n");
    while text.contains("\n\n\n") {
        text = text.replace("\n\n\n", "\n\n");
    }
    text.trim().to_string()
}

fn decode_entities(text: &str) -> String {
    if !text.contains('&') {
        return text.to_string();
    }
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let end = tail.find(';').filter(|&e| e <= 10);
        let decoded = end.and_then(|end| {
            let name = &tail[1..end];
            let c = match name {
                "nbsp" => Some(' '),
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ => name
                    .strip_prefix('#')
                    .and_then(|n| match n.strip_prefix(['x', 'X']) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok(),
                        None => n.parse().ok(),
                    })
                    .and_then(char::from_u32),
            }?;
            Some((c, end))
        });
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &tail[end + 1..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}
