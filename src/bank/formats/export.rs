//! Writing banks: to the native TOML format, and to an xlsx workbook in the template (sheet 题库 with one row
//! per question, 题库信息 with the bank's id, title and language, 说明 explaining the columns). Both import back
//! to an equal bank: the round trip native -> xlsx -> native is lossless (tests/round-trip in `tests.rs`).

use rust_xlsxwriter::{Format as CellFormat, Workbook, Worksheet, XlsxError};

use super::draft::{Draft, Header, native_text};
use super::table::{header_row, row_of};
use super::template;
use super::xlsx::{INFO_ID, INFO_LANGUAGE, INFO_SHEET, INFO_TITLE, QUESTIONS_SHEET};
use crate::bank::Bank;

/// The bank as one native TOML file.
pub fn to_native(bank: &Bank) -> String {
    let header = Header {
        id: bank.id.clone(),
        title: bank.title.clone(),
        language: bank.language.clone(),
    };
    let drafts: Vec<Draft> = bank.questions.iter().map(Draft::of).collect();
    native_text(&header, &drafts)
}

/// The bank as an xlsx workbook in the template.
pub fn to_xlsx(bank: &Bank) -> Result<Vec<u8>, XlsxError> {
    let rows: Vec<Vec<String>> = bank.questions.iter().map(row_of).collect();
    let info = [
        (INFO_ID[0], bank.id.as_str()),
        (INFO_TITLE[0], bank.title.as_str()),
        (INFO_LANGUAGE[0], bank.language.as_str()),
    ];
    workbook(&rows, Some(&info))
}

/// The downloadable template: the header, one example row per question type, and the 说明 sheet.
pub fn template_xlsx() -> Result<Vec<u8>, XlsxError> {
    let rows: Vec<Vec<String>> = template::example_rows();
    workbook(&rows, None)
}

/// Columns that hold long texts get wide, wrapped cells.
fn column_width(name: &str) -> f64 {
    match name {
        "题干" | "解析" => 48.0,
        "知识点" | "来源" => 24.0,
        name if name.starts_with("选项") => 16.0,
        "答案" | "标签" | "互斥组" | "互斥题号" | "复核通过" => 14.0,
        _ => 8.0,
    }
}

fn workbook(rows: &[Vec<String>], info: Option<&[(&str, &str); 3]>) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let bold = CellFormat::new().set_bold().set_background_color("#FCE4D6");
    let wrap = CellFormat::new().set_text_wrap();
    let sheet = book.add_worksheet();
    sheet.set_name(QUESTIONS_SHEET)?;
    let header = header_row();
    for (column, name) in header.iter().enumerate() {
        let column = u16::try_from(column).unwrap_or(u16::MAX);
        sheet.write_string_with_format(0, column, name, &bold)?;
        sheet.set_column_width(column, column_width(name))?;
    }
    sheet.set_freeze_panes(1, 0)?;
    for (i, row) in rows.iter().enumerate() {
        let r = u32::try_from(i + 1).unwrap_or(u32::MAX);
        for (column, text) in row.iter().enumerate() {
            if text.is_empty() {
                continue;
            }
            let column = u16::try_from(column).unwrap_or(u16::MAX);
            let number = matches!(header[usize::from(column)].as_str(), "分值" | "难度")
                .then(|| text.parse::<f64>().ok())
                .flatten();
            match number {
                Some(n) => sheet.write_number(r, column, n)?,
                None => sheet.write_string_with_format(r, column, text, &wrap)?,
            };
        }
    }
    template::help_sheet(book.add_worksheet())?;
    let info_sheet = book.add_worksheet();
    info_sheet.set_name(INFO_SHEET)?;
    write_info(info_sheet, info, &bold)?;
    book.save_to_buffer()
}

/// The 题库信息 sheet: key, value, and a hint per row. The template leaves the values empty.
fn write_info(
    sheet: &mut Worksheet,
    info: Option<&[(&str, &str); 3]>,
    bold: &CellFormat,
) -> Result<(), XlsxError> {
    sheet.set_column_width(0, 12.0)?;
    sheet.set_column_width(1, 28.0)?;
    sheet.set_column_width(2, 60.0)?;
    let hints = [
        "导入到哪个题库：英文字母、数字、- 和 _；命令行 --bank 或控制台填写的题库编号优先",
        "题库的显示名称；留空则使用文件名",
        "zh-CN 或 en；留空则按题目文字判断",
    ];
    let keys = [INFO_ID[0], INFO_TITLE[0], INFO_LANGUAGE[0]];
    for (row, (key, hint)) in keys.iter().zip(hints).enumerate() {
        let row = u32::try_from(row).unwrap_or(u32::MAX);
        sheet.write_string_with_format(row, 0, *key, bold)?;
        if let Some(value) = info
            .and_then(|info| info.iter().find(|(k, _)| k == key))
            .map(|(_, v)| *v)
        {
            sheet.write_string(row, 1, value)?;
        }
        sheet.write_string(row, 2, hint)?;
    }
    Ok(())
}
