//! Auto-filing: a guess of the passport category of a file from its name alone (DOMAIN.md).
//! The extension decides first (a `.dwg` is a drawing whatever it is called), then a leading
//! part number ("2.1 …") narrows the search to that part, and keywords in Russian or English
//! pick the category. Every guess carries a confidence and the reason, so the user sees why
//! and can correct it.

use serde::Serialize;
use utoipa::ToSchema;

use super::categories::{Category, Part};

/// What auto-filing proposes for one file name.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct Guess {
    pub category: Category,
    /// 0-1: how sure the rule that decided is.
    pub confidence: f32,
    /// Which rule decided, in words.
    pub reason: String,
}

/// Confidence of each rule, strongest first.
const BY_EXTENSION: f32 = 0.95;
const PART_AND_KEYWORD: f32 = 0.9;
const DOCUMENT_KEYWORD: f32 = 0.75;
const SUBJECT_KEYWORD: f32 = 0.55;
const KEYWORD_AGAINST_PART: f32 = 0.5;
const IMAGE_FILE: f32 = 0.4;
const PART_POSITION_ONLY: f32 = 0.3;

/// Extensions that say what a file is on their own.
const EXTENSIONS: &[(&str, Category)] = &[
    ("dwg", Category::Drawings),
    ("dxf", Category::Drawings),
    // Light desk show files (ETC Eos .esf3d, Chamsys/Avolites .c2p).
    ("c2p", Category::LightPartition),
    ("esf3d", Category::LightPartition),
    // Sound cue stacks (QLab/SCS .cues) and the sound files themselves.
    ("cues", Category::SoundPartition),
    ("mp3", Category::SoundPartition),
    ("wav", Category::SoundPartition),
    ("mp4", Category::VideoPartition),
];

/// Photographs in a passport are, in practice, the photographs of the set: a weak guess used
/// only when no keyword says otherwise.
const IMAGE_EXTENSIONS: &[&str] = &["jpg", "jpeg", "png", "heic", "webp", "tif", "tiff"];

/// How strongly a keyword names a category: a word for the kind of document ("эскиз", "ТЗ",
/// "смета") outranks a word for its subject ("костюм", "грим"), so "эскиз костюма" is a sketch.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Strength {
    Subject = 1,
    Document = 2,
    /// Two document words together ("монтировочная инструкция", "партитура света").
    Compound = 3,
}

/// A rule: every group must match (one of its alternatives, as a substring of the normalised
/// name; a leading or trailing space asks for a word boundary).
struct Rule {
    category: Category,
    strength: Strength,
    all: &'static [&'static [&'static str]],
}

const TECH_SPEC: &[&str] = &[
    " тз ",
    "техзадан",
    "техническое задание",
    "тех задание",
    " tz ",
    "tech spec",
    "technical spec",
    "specification",
    " spec ",
];
const PARTITION: &[&str] = &[
    "партитур",
    " cue ",
    " cues ",
    "cue list",
    "cue sheet",
    " score ",
];

use Strength::{Compound, Document, Subject};

#[rustfmt::skip]
const RULES: &[Rule] = &[
    // 1.0 General.
    Rule { category: Category::Passport, strength: Document, all: &[&["паспорт", "passport"]] },
    Rule { category: Category::ReceptionAct, strength: Document, all: &[&["приемк", "acceptance", "reception act"]] },
    Rule { category: Category::FireProtection, strength: Document, all: &[&["огнезащит", "огнебиозащит", "fireproof", "fire protection", "fire retard", "flame retard"]] },
    Rule { category: Category::WeldingActs, strength: Document, all: &[&["сварк", "сварочн", "сварн", "weld"]] },
    Rule { category: Category::MaterialCerts, strength: Document, all: &[&["сертификат", "certificat", " cert ", " certs "]] },
    Rule { category: Category::Calculations, strength: Document, all: &[&["расчет", "calculation", " calc ", "structural analysis"]] },
    // 2.0 Production.
    Rule { category: Category::Sketches, strength: Document, all: &[&["эскиз", "sketch"]] },
    Rule { category: Category::TechSpecDecor, strength: Compound, all: &[TECH_SPEC, &["декорац", "сценограф", "decor", "scenery", " set "]] },
    Rule { category: Category::TechSpecLight, strength: Compound, all: &[TECH_SPEC, &["свет", "light"]] },
    Rule { category: Category::TechSpecCostume, strength: Compound, all: &[TECH_SPEC, &["костюм", "costume"]] },
    Rule { category: Category::TechSpecProps, strength: Compound, all: &[TECH_SPEC, &["реквизит", "props", " prop "]] },
    Rule { category: Category::TechSpecSound, strength: Compound, all: &[TECH_SPEC, &["звук", "sound", "audio"]] },
    // 3.0 Operation.
    Rule { category: Category::DecorPhotos, strength: Document, all: &[&["фото", "photo"]] },
    Rule { category: Category::Layouts, strength: Document, all: &[&["планировк", "layout", "floor plan", "ground plan"]] },
    Rule { category: Category::MountList, strength: Document, all: &[&["монтировочн", "mount list", "mounting list", "load in list"]] },
    Rule { category: Category::HangingList, strength: Document, all: &[&["развеск", "hanging", "hang plot", "rigging plot"]] },
    Rule { category: Category::MountInstruction, strength: Document, all: &[&["инструкц", "instruction", "manual"]] },
    Rule { category: Category::MountInstruction, strength: Compound, all: &[&["инструкц", "instruction", "manual"], &["монтаж", "монтировочн", "mount", "assembly"]] },
    Rule { category: Category::LightPartition, strength: Compound, all: &[PARTITION, &["свет", "light"]] },
    Rule { category: Category::SoundPartition, strength: Compound, all: &[PARTITION, &["звук", "sound", "фонограм"]] },
    Rule { category: Category::SoundPartition, strength: Document, all: &[&["фонограм", "soundtrack"]] },
    Rule { category: Category::VideoPartition, strength: Compound, all: &[PARTITION, &["видео", "video"]] },
    Rule { category: Category::VideoPartition, strength: Subject, all: &[&["видео", "video", "проекци", "projection"]] },
    Rule { category: Category::CostumeList, strength: Compound, all: &[&["опис", " list "], &["костюм", "costume"]] },
    Rule { category: Category::CostumeList, strength: Subject, all: &[&["костюм", "costume"]] },
    Rule { category: Category::MakeupCard, strength: Document, all: &[&["грим", "makeup", "make up"]] },
    // 4.0 Appendix.
    Rule { category: Category::Rider, strength: Document, all: &[&["райдер", "rider"]] },
    Rule { category: Category::Estimates, strength: Document, all: &[&["смет", "estimate", "budget"]] },
    Rule { category: Category::Drawings, strength: Document, all: &[&["чертеж", "drawing", "blueprint"]] },
];

/// The file name as the rules read it: lower case, `ё` as `е`, every run of characters other
/// than letters and digits as one space, with a space at both ends (word boundaries).
fn normalise(raw: &str) -> String {
    let mut out = String::from(" ");
    for c in raw.chars().flat_map(char::to_lowercase) {
        let c = if c == 'ё' { 'е' } else { c };
        if c.is_alphanumeric() {
            out.push(c);
        } else if !out.ends_with(' ') {
            out.push(' ');
        }
    }
    if !out.ends_with(' ') {
        out.push(' ');
    }
    out
}

/// The name without its extension, and the extension lower-cased.
fn split_extension(name: &str) -> (&str, Option<String>) {
    match name.rsplit_once('.') {
        Some((stem, ext))
            if !stem.trim().is_empty()
                && (1..=8).contains(&ext.len())
                && ext.chars().all(|c| c.is_ascii_alphanumeric()) =>
        {
            (stem, Some(ext.to_ascii_lowercase()))
        }
        _ => (name, None),
    }
}

/// A leading passport number: "2.1 ТЗ свет" → (part 2, position 1); "3.0 …" → (part 3, 0).
fn leading_number(stem: &str) -> Option<(Part, usize)> {
    let s = stem.trim_start();
    let mut chars = s.chars();
    let part = Part::from_number(chars.next()?.to_digit(10)? as u8)?;
    if !matches!(chars.next(), Some('.' | ',')) {
        return None;
    }
    let rest = chars.as_str();
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    if digits.is_empty() || digits.len() > 2 {
        return None;
    }
    // "2.1" followed by a separator, not "2.15мм" or "1.5x2".
    match rest[digits.len()..].chars().next() {
        None => {}
        Some(c) if c.is_alphanumeric() => return None,
        Some(_) => {}
    }
    Some((part, digits.parse().ok()?))
}

/// One rule that matched, with the words that made it match.
#[derive(Clone)]
struct Hit {
    category: Category,
    strength: Strength,
    words: Vec<&'static str>,
}

impl Hit {
    /// Stronger rules first, then the one that matched more text (more specific).
    fn rank(&self) -> (Strength, usize) {
        (
            self.strength,
            self.words.iter().map(|w| w.trim().chars().count()).sum(),
        )
    }

    fn quoted(&self) -> String {
        self.words
            .iter()
            .map(|w| format!("\"{}\"", w.trim()))
            .collect::<Vec<_>>()
            .join(" + ")
    }
}

fn hits(text: &str) -> Vec<Hit> {
    RULES
        .iter()
        .filter_map(|rule| {
            let words = rule
                .all
                .iter()
                .map(|group| group.iter().copied().find(|w| text.contains(w)))
                .collect::<Option<Vec<_>>>()?;
            Some(Hit {
                category: rule.category,
                strength: rule.strength,
                words,
            })
        })
        .collect()
}

fn best(hits: impl Iterator<Item = Hit>) -> Option<Hit> {
    hits.max_by_key(Hit::rank)
}

/// The guess for `file_name` (or a document title), or `None` when nothing in it points at a
/// category.
pub fn classify(file_name: &str) -> Option<Guess> {
    let name = file_name.trim();
    let (stem, extension) = split_extension(name);
    if let Some(ext) = &extension
        && let Some((_, category)) = EXTENSIONS.iter().find(|(e, _)| e == ext)
    {
        return Some(Guess {
            category: *category,
            confidence: BY_EXTENSION,
            reason: format!("extension .{ext}"),
        });
    }
    let text = normalise(stem);
    let number = leading_number(stem);
    let all = hits(&text);
    if let Some((part, position)) = number {
        let in_part = best(all.iter().filter(|h| h.category.part() == part).cloned());
        if let Some(hit) = in_part {
            return Some(Guess {
                category: hit.category,
                confidence: PART_AND_KEYWORD,
                reason: format!("part {} and keyword {}", part.code(), hit.quoted()),
            });
        }
        if let Some(hit) = best(all.into_iter()) {
            return Some(Guess {
                category: hit.category,
                confidence: KEYWORD_AGAINST_PART,
                reason: format!(
                    "keyword {} (the number says part {})",
                    hit.quoted(),
                    part.code()
                ),
            });
        }
        if let Some(category) = part.categories().nth(position.wrapping_sub(1)) {
            return Some(Guess {
                category,
                confidence: PART_POSITION_ONLY,
                reason: format!("number {}.{position} only", part.number()),
            });
        }
    } else if let Some(hit) = best(all.into_iter()) {
        return Some(Guess {
            category: hit.category,
            confidence: if hit.strength == Strength::Subject {
                SUBJECT_KEYWORD
            } else {
                DOCUMENT_KEYWORD
            },
            reason: format!("keyword {}", hit.quoted()),
        });
    }
    match &extension {
        Some(ext) if IMAGE_EXTENSIONS.contains(&ext.as_str()) => Some(Guess {
            category: Category::DecorPhotos,
            confidence: IMAGE_FILE,
            reason: format!("an image (.{ext})"),
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn category(name: &str) -> Option<Category> {
        classify(name).map(|g| g.category)
    }

    #[test]
    fn the_examples_of_the_issue_hold() {
        let g = classify("2.1 ТЗ свет.pdf").unwrap();
        assert_eq!(g.category, Category::TechSpecLight);
        assert_eq!(g.confidence, PART_AND_KEYWORD);
        assert!(g.reason.contains("2.0"), "{}", g.reason);
        let g = classify("plan.dwg").unwrap();
        assert_eq!(
            (g.category, g.confidence),
            (Category::Drawings, BY_EXTENSION)
        );
        assert_eq!(g.reason, "extension .dwg");
        assert_eq!(category("cue list.cues"), Some(Category::SoundPartition));
        assert_eq!(classify("notes 2024.pdf"), None);
        assert_eq!(classify("IMG_0001.pdf"), None);
        assert_eq!(classify(""), None);
    }

    #[test]
    fn the_extension_decides_before_any_word() {
        assert_eq!(category("Эскиз костюма.DWG"), Some(Category::Drawings));
        assert_eq!(
            category("Чайка финал.esf3d"),
            Some(Category::LightPartition)
        );
        assert_eq!(category("show.c2p"), Some(Category::LightPartition));
        assert_eq!(category("увертюра.MP3"), Some(Category::SoundPartition));
        assert_eq!(category("шторм.wav"), Some(Category::SoundPartition));
        assert_eq!(category("задник.mp4"), Some(Category::VideoPartition));
    }

    #[test]
    fn russian_keywords_name_every_category() {
        let cases = [
            ("Паспорт спектакля Чайка.pdf", Category::Passport),
            ("Акт приёмки спектакля.pdf", Category::ReceptionAct),
            ("акт приемки.docx", Category::ReceptionAct),
            ("Акт огнезащитной обработки.pdf", Category::FireProtection),
            ("Акты сварочных работ.pdf", Category::WeldingActs),
            ("Сварка каркаса.pdf", Category::WeldingActs),
            ("Сертификаты на ткань.pdf", Category::MaterialCerts),
            ("Расчёт нагрузок станка.xlsx", Category::Calculations),
            ("Эскизы.pdf", Category::Sketches),
            ("Эскиз костюма Нины.pdf", Category::Sketches),
            ("ТЗ декорации.docx", Category::TechSpecDecor),
            ("ТЗ_свет.docx", Category::TechSpecLight),
            ("ТЗ на костюмы.docx", Category::TechSpecCostume),
            ("Техническое задание реквизит.docx", Category::TechSpecProps),
            ("тз-звук.pdf", Category::TechSpecSound),
            ("Фото декораций.pdf", Category::DecorPhotos),
            ("Планировка сцены.pdf", Category::Layouts),
            ("Монтировочная опись.xlsx", Category::MountList),
            ("Развеска.xlsx", Category::HangingList),
            ("Инструкция по монтажу.pdf", Category::MountInstruction),
            ("Монтировочная инструкция.pdf", Category::MountInstruction),
            ("Партитура света.pdf", Category::LightPartition),
            ("Световая партитура.xlsx", Category::LightPartition),
            ("Звуковая партитура.xlsx", Category::SoundPartition),
            ("Партитура видео.pdf", Category::VideoPartition),
            ("Опись костюмов.xlsx", Category::CostumeList),
            ("Костюмы.xlsx", Category::CostumeList),
            ("Грим Аркадиной.pdf", Category::MakeupCard),
            ("Технический райдер.pdf", Category::Rider),
            ("Смета.xlsx", Category::Estimates),
            ("Чертёж станка.pdf", Category::Drawings),
            ("ЧЕРТЕЖИ.PDF", Category::Drawings),
        ];
        for (name, expected) in cases {
            assert_eq!(category(name), Some(expected), "{name}");
        }
    }

    #[test]
    fn english_keywords_too() {
        let cases = [
            ("Show passport.pdf", Category::Passport),
            ("acceptance report.pdf", Category::ReceptionAct),
            ("fireproofing.pdf", Category::FireProtection),
            ("welding.pdf", Category::WeldingActs),
            ("fabric certificates.pdf", Category::MaterialCerts),
            ("load calculation.xlsx", Category::Calculations),
            ("costume sketch.pdf", Category::Sketches),
            ("tech spec lighting.docx", Category::TechSpecLight),
            (
                "Technical specification - sound.docx",
                Category::TechSpecSound,
            ),
            ("set photos.pdf", Category::DecorPhotos),
            ("stage layout.pdf", Category::Layouts),
            ("hanging plot.pdf", Category::HangingList),
            ("assembly instructions.pdf", Category::MountInstruction),
            ("lighting cue sheet.pdf", Category::LightPartition),
            ("sound cues.pdf", Category::SoundPartition),
            ("costume list.xlsx", Category::CostumeList),
            ("make-up chart.pdf", Category::MakeupCard),
            ("Tech rider 2026.pdf", Category::Rider),
            ("budget estimate.xlsx", Category::Estimates),
            ("truss drawing.pdf", Category::Drawings),
        ];
        for (name, expected) in cases {
            assert_eq!(category(name), Some(expected), "{name}");
        }
    }

    #[test]
    fn a_part_number_narrows_the_keywords_to_its_part() {
        // "фото" (3.0) and "эскиз" (2.0): the number picks the part.
        assert_eq!(category("2.1 фото эскизов.pdf"), Some(Category::Sketches));
        assert_eq!(
            category("3.1 фото эскизов.pdf"),
            Some(Category::DecorPhotos)
        );
        // "костюм" in part 2 is the costume spec's subject, in part 3 the costume list.
        assert_eq!(category("3.9 костюмы.xlsx"), Some(Category::CostumeList));
    }

    #[test]
    fn a_keyword_outside_the_numbered_part_is_a_weaker_guess() {
        let g = classify("1.2 смета.xlsx").unwrap();
        assert_eq!(g.category, Category::Estimates);
        assert_eq!(g.confidence, KEYWORD_AGAINST_PART);
    }

    #[test]
    fn a_bare_number_points_at_the_position_in_its_part_weakly() {
        let g = classify("1.3 скан 001.pdf").unwrap();
        assert_eq!(g.category, Category::FireProtection);
        assert_eq!(g.confidence, PART_POSITION_ONLY);
        assert_eq!(classify("1.9 скан.pdf"), None, "part 1 has six categories");
        assert_eq!(classify("5.1 скан.pdf"), None, "there is no part 5");
        assert_eq!(
            classify("1.5x2 скан.pdf"),
            None,
            "a dimension, not a number"
        );
    }

    #[test]
    fn case_and_yo_do_not_matter() {
        assert_eq!(category("РАСЧЁТ.pdf"), category("расчет.pdf"));
        assert_eq!(category("РАСЧЁТ.pdf"), Some(Category::Calculations));
        assert_eq!(category("АКТ ПРИЁМКИ.pdf"), Some(Category::ReceptionAct));
    }

    #[test]
    fn short_words_need_word_boundaries() {
        // "тз" inside another word is not a technical specification.
        assert_eq!(category("отзывы о свете.pdf"), None);
        assert_eq!(category("spectrum light.pdf"), None);
    }

    #[test]
    fn an_image_without_words_is_probably_a_set_photo() {
        let g = classify("IMG_2041.JPG").unwrap();
        assert_eq!(
            (g.category, g.confidence),
            (Category::DecorPhotos, IMAGE_FILE)
        );
        assert_eq!(category("чертёж.png"), Some(Category::Drawings));
    }

    #[test]
    fn confidences_stay_between_zero_and_one() {
        for name in [
            "2.1 ТЗ свет.pdf",
            "plan.dwg",
            "Костюмы.xlsx",
            "1.3 x.pdf",
            "a.jpg",
        ] {
            let g = classify(name).unwrap();
            assert!((0.0..=1.0).contains(&g.confidence), "{name}");
            assert!(!g.reason.is_empty());
        }
    }
}
