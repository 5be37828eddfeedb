//! The passport vocabulary (DOMAIN.md): four parts and their 25 document categories, 24 of
//! them required for a complete passport. Fixed: the codes are part of the API.

use std::fmt;

use serde::{Serialize, Serializer};

/// One of the four parts of the technical passport.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Part {
    General,
    Production,
    Operation,
    Appendix,
}

impl Part {
    /// The parts in passport order.
    pub const ALL: [Part; 4] = [
        Part::General,
        Part::Production,
        Part::Operation,
        Part::Appendix,
    ];

    /// The part's number as printed: `1.0` … `4.0`.
    pub fn code(self) -> &'static str {
        match self {
            Part::General => "1.0",
            Part::Production => "2.0",
            Part::Operation => "3.0",
            Part::Appendix => "4.0",
        }
    }

    /// The leading digit of the part's number.
    pub fn number(self) -> u8 {
        match self {
            Part::General => 1,
            Part::Production => 2,
            Part::Operation => 3,
            Part::Appendix => 4,
        }
    }

    /// The part numbered `n` (1-4).
    pub fn from_number(n: u8) -> Option<Part> {
        Part::ALL.into_iter().find(|p| p.number() == n)
    }

    /// The Russian title staff know it by.
    pub fn title(self) -> &'static str {
        match self {
            Part::General => "Общая часть",
            Part::Production => "Производство сценического оформления",
            Part::Operation => "Эксплуатация спектакля",
            Part::Appendix => "Приложение",
        }
    }

    /// The part's categories in passport order.
    pub fn categories(self) -> impl Iterator<Item = Category> {
        Category::ALL.into_iter().filter(move |c| c.part() == self)
    }
}

macro_rules! categories {
    ($($variant:ident => $code:literal, $part:ident, $required:literal, $title:literal;)+) => {
        /// A passport document category.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Category { $($variant),+ }

        impl Category {
            /// Every category, in passport order (part by part).
            pub const ALL: [Category; 25] = [$(Category::$variant),+];

            /// The wire and database form, e.g. `tech_spec_light`.
            pub fn code(self) -> &'static str {
                match self { $(Category::$variant => $code),+ }
            }

            /// The part the category is filed under.
            pub fn part(self) -> Part {
                match self { $(Category::$variant => Part::$part),+ }
            }

            /// Whether a complete passport needs at least one document of it.
            pub fn required(self) -> bool {
                match self { $(Category::$variant => $required),+ }
            }

            /// The Russian title.
            pub fn title(self) -> &'static str {
                match self { $(Category::$variant => $title),+ }
            }
        }
    };
}

categories! {
    Passport => "passport", General, true, "Паспорт спектакля";
    ReceptionAct => "reception_act", General, true, "Акт приёмки спектакля";
    FireProtection => "fire_protection", General, true, "Акты огнезащитной обработки";
    WeldingActs => "welding_acts", General, true, "Акты сварочных работ";
    MaterialCerts => "material_certs", General, true, "Сертификаты на материалы";
    Calculations => "calculations", General, true, "Расчёты конструкций";
    Sketches => "sketches", Production, true, "Эскизы";
    TechSpecDecor => "tech_spec_decor", Production, true, "ТЗ на декорации";
    TechSpecLight => "tech_spec_light", Production, true, "ТЗ на свет";
    TechSpecCostume => "tech_spec_costume", Production, true, "ТЗ на костюмы";
    TechSpecProps => "tech_spec_props", Production, true, "ТЗ на реквизит";
    TechSpecSound => "tech_spec_sound", Production, true, "ТЗ на звук";
    DecorPhotos => "decor_photos", Operation, true, "Фотографии декораций";
    Layouts => "layouts", Operation, true, "Планировки";
    MountList => "mount_list", Operation, true, "Монтировочная опись";
    HangingList => "hanging_list", Operation, true, "Развеска";
    MountInstruction => "mount_instruction", Operation, true, "Инструкция по монтажу";
    LightPartition => "light_partition", Operation, true, "Световая партитура";
    SoundPartition => "sound_partition", Operation, true, "Звуковая партитура";
    VideoPartition => "video_partition", Operation, false, "Видеопартитура";
    CostumeList => "costume_list", Operation, true, "Опись костюмов";
    MakeupCard => "makeup_card", Operation, true, "Карта грима";
    Rider => "rider", Appendix, true, "Технический райдер";
    Estimates => "estimates", Appendix, true, "Сметы";
    Drawings => "drawings", Appendix, true, "Чертежи";
}

impl Category {
    /// The category with this code.
    pub fn parse(raw: &str) -> Result<Category, String> {
        Category::ALL
            .into_iter()
            .find(|c| c.code() == raw)
            .ok_or_else(|| "must be one of the passport category codes (see GET /passport)".into())
    }

    /// Every required category (24).
    pub fn required_ones() -> impl Iterator<Item = Category> {
        Category::ALL.into_iter().filter(|c| c.required())
    }

    /// The category's position inside its part, from 1 (the `.N` of "2.3").
    pub fn position(self) -> usize {
        self.part()
            .categories()
            .position(|c| c == self)
            .map_or(0, |i| i + 1)
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl Serialize for Category {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> serde::Deserialize<'de> for Category {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Category::parse(&raw).map_err(serde::de::Error::custom)
    }
}

/// In the OpenAPI document a category is a string out of the 25 codes.
impl utoipa::PartialSchema for Category {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some("A passport document category (DOMAIN.md)"))
            .enum_values(Some(Category::ALL.map(Category::code)))
            .into()
    }
}

impl utoipa::ToSchema for Category {
    fn name() -> std::borrow::Cow<'static, str> {
        "PassportCategory".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn there_are_twenty_four_required_categories_of_twenty_five() {
        assert_eq!(Category::ALL.len(), 25);
        assert_eq!(Category::required_ones().count(), 24);
        let optional: Vec<_> = Category::ALL.iter().filter(|c| !c.required()).collect();
        assert_eq!(optional, [&Category::VideoPartition]);
    }

    #[test]
    fn the_parts_hold_the_categories_of_domain_md_in_order() {
        let codes = |p: Part| p.categories().map(Category::code).collect::<Vec<_>>();
        assert_eq!(
            codes(Part::General),
            [
                "passport",
                "reception_act",
                "fire_protection",
                "welding_acts",
                "material_certs",
                "calculations"
            ]
        );
        assert_eq!(
            codes(Part::Production),
            [
                "sketches",
                "tech_spec_decor",
                "tech_spec_light",
                "tech_spec_costume",
                "tech_spec_props",
                "tech_spec_sound"
            ]
        );
        assert_eq!(
            codes(Part::Operation),
            [
                "decor_photos",
                "layouts",
                "mount_list",
                "hanging_list",
                "mount_instruction",
                "light_partition",
                "sound_partition",
                "video_partition",
                "costume_list",
                "makeup_card"
            ]
        );
        assert_eq!(codes(Part::Appendix), ["rider", "estimates", "drawings"]);
        let required = |p: Part| p.categories().filter(|c| c.required()).count();
        assert_eq!(Part::ALL.map(required), [6, 6, 9, 3], "required per part");
    }

    #[test]
    fn codes_round_trip_and_unknown_codes_are_refused() {
        for c in Category::ALL {
            assert_eq!(Category::parse(c.code()), Ok(c));
            assert!(!c.title().is_empty());
        }
        assert!(Category::parse("other").is_err());
        assert!(Category::parse("Passport").is_err());
        assert_eq!(Category::TechSpecLight.position(), 3);
        assert_eq!(Part::from_number(3), Some(Part::Operation));
        assert_eq!(Part::from_number(5), None);
    }
}
