//! The content of the downloadable template: one example row per question type and the 说明 sheet that explains
//! each column in Chinese.

use rust_xlsxwriter::{Format as CellFormat, Worksheet, XlsxError};

use super::table::header_row;
use super::xlsx::HELP_SHEET;

/// One valid example row per question type, in the order of [`header_row`].
pub fn example_rows() -> Vec<Vec<String>> {
    #[rustfmt::skip]
    let rows: [[&str; 21]; 4] = [
        ["ex-001", "单选", "中国共产党第一次全国代表大会于哪一年召开？（　）",
         "1919年", "1921年", "1927年", "1949年", "", "", "", "",
         "B", "1921年7月23日，中共一大在上海开幕，最后一天的会议转移到浙江嘉兴南湖的游船上举行。",
         "10", "1", "新民主主义革命时期/建党", "《中国共产党简史》第一章", "中共一大", "", "", ""],
        ["ex-002", "多选", "下列属于中国革命“三大法宝”的有（　）。",
         "统一战线", "武装斗争", "党的建设", "土地革命", "", "", "", "",
         "ABC", "毛泽东在《〈共产党人〉发刊词》中指出，统一战线、武装斗争、党的建设是中国共产党在中国革命中战胜敌人的三个法宝。",
         "", "2", "新民主主义革命时期/理论", "《中国共产党简史》", "三大法宝;毛泽东思想", "", "", ""],
        ["ex-003", "判断", "遵义会议是党的历史上一个生死攸关的转折点。",
         "", "", "", "", "", "", "", "",
         "正确", "遵义会议在极端危急的历史关头挽救了党、挽救了红军、挽救了中国革命，是党的历史上一个生死攸关的转折点。",
         "", "1", "新民主主义革命时期/长征", "《中国共产党简史》第四章", "", "", "ex-004", ""],
        ["ex-004", "填空", "1935年1月，中共中央政治局在贵州____召开扩大会议；红军长征胜利后，党中央落脚在陕北____。",
         "", "", "", "", "", "", "", "",
         "遵义|延安;延安市", "第一空为遵义（遵义会议），第二空为延安；“延安”“延安市”都算对。",
         "", "2", "新民主主义革命时期/长征", "《中国共产党简史》第四章", "遵义会议;长征", "", "", ""],
    ];
    debug_assert!(rows.iter().all(|r| r.len() == header_row().len()));
    rows.iter()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect()
}

/// Column, required or not, and what it holds.
const HELP: &[(&str, &str, &str)] = &[
    (
        "编号",
        "选填",
        "题目编号，同一题库内不能重复。留空则按“题库编号-行号”自动生成（如 party-0005）。再次导入时按编号更新已有题目。",
    ),
    (
        "题型",
        "必填",
        "单选、多选、判断、填空（也可写 单选题、多项选择题、single、multiple、true_false、fill 等）。",
    ),
    (
        "题干",
        "必填",
        "题目内容。填空题用三个或更多下划线 ____ 标出每个空，空的个数必须与答案的个数一致。",
    ),
    (
        "选项A…选项H",
        "选择题必填",
        "单选、多选题 2 到 8 个选项，从选项A起依次填写，中间不能空。判断题、填空题不填（判断题写 正确/错误 也可以）。",
    ),
    (
        "答案",
        "必填",
        "单选：一个字母，如 B。多选：两个或以上字母，如 ABD 或 A;B;D。判断：正确/错误（也可写 对/错、√/×、T/F）。填空：多个空用 | 分隔，一个空的多个可接受答案用 ; 分隔，如 遵义|延安;延安市。答案中要写 | ; \\ 本身时前面加 \\。",
    ),
    ("解析", "必填", "为什么这个答案对，答题结束后展示。"),
    ("分值", "选填", "1 到 1000 的整数；留空则使用轮次的默认分值。"),
    (
        "难度",
        "必填",
        "1（易）到 5（难）的整数，也可写 易、较易、中、较难、难。",
    ),
    (
        "知识点",
        "必填",
        "分类路径，用 / 分隔层级，如 新民主主义革命时期/建党。也可用列名“分类”。",
    ),
    ("来源", "必填", "出处，如 《中国共产党简史》第一章。"),
    ("标签", "选填", "多个标签用 ; 分隔。"),
    (
        "互斥组",
        "选填",
        "组名。同一题库中组名相同的题目，一场竞赛只会抽到其中一道（如几道题考同一史实）。",
    ),
    (
        "互斥题号",
        "选填",
        "不能与本题出现在同一场竞赛中的题目编号（同一题库），多个用 ; 分隔。互斥是双向的，写在任一题上即可；编号必须存在。示例中判断题的题干说出了填空题的答案“遵义”，所以两题互斥。",
    ),
    (
        "复核通过",
        "选填",
        "题库检查（jingsai bank lint）把本题与这些题目报为相似或泄露答案，经人工复核没有问题的题目编号，多个用 ; 分隔；这些配对不再报告。",
    ),
];

const NOTES: &[&str] = &[
    "第一行是列名，列的顺序不限；也可用英文列名 id, type, stem, A…H（或 option A…H）, answer, explanation, points, difficulty, category, source, tags, group, excludes, lint_ok。",
    "“题库信息”工作表可填写题库编号、名称和语言；也可在导入时指定题库编号（命令行 --bank，控制台“题库编号”）。",
    "导入前会检查每一行：只要有一处错误，就不导入任何题目，并列出每个错误所在的工作表和行号。",
    "命令行：jingsai bank check 文件.xlsx 只检查；jingsai bank import 文件.xlsx --bank 题库编号 导入。",
];

/// The 说明 sheet.
pub fn help_sheet(sheet: &mut Worksheet) -> Result<(), XlsxError> {
    sheet.set_name(HELP_SHEET)?;
    let bold = CellFormat::new().set_bold();
    let wrap = CellFormat::new().set_text_wrap();
    sheet.set_column_width(0, 14.0)?;
    sheet.set_column_width(1, 12.0)?;
    sheet.set_column_width(2, 90.0)?;
    for (column, title) in ["列名", "是否必填", "说明"].iter().enumerate() {
        sheet.write_string_with_format(0, u16::try_from(column).unwrap_or(0), *title, &bold)?;
    }
    let mut row = 1u32;
    for (name, required, text) in HELP {
        sheet.write_string_with_format(row, 0, *name, &bold)?;
        sheet.write_string(row, 1, *required)?;
        sheet.write_string_with_format(row, 2, *text, &wrap)?;
        row += 1;
    }
    row += 1;
    for note in NOTES {
        sheet.write_string_with_format(row, 2, *note, &wrap)?;
        row += 1;
    }
    Ok(())
}
