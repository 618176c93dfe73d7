//! Appeal texts for `bench intake`, as long as real ones.
//!
//! The cost of an intake grows with its text: the full-text index stores a bigram per
//! character, and the event, the WAL and the page cache carry the text. In the real
//! citizen messages (`shared/data/appeals`), title plus text is 371 characters on
//! average, with a median of 224 and a 90th percentile of 794. A log-normal length
//! with median 224 and σ = 1.0 has mean 224·e^0.5 = 369 and 90th percentile
//! 224·e^1.2816 = 808, so the bench draws each appeal's length from it (cut to
//! 20–4,000 characters) and fills it with Chinese text made here from phrases of the
//! kind citizens write. The program reads nothing of `shared/` at run time.

/// A small fast generator (splitmix64), seeded so a run is reproducible: the benches'
/// one source of chance (`bench scale` seeds one per case).
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Rng(seed ^ 0x5DEE_CE66_D1A4_F87B)
    }
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    pub(crate) fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }
    /// True one time in `n`.
    pub(crate) fn one_in(&mut self, n: u64) -> bool {
        self.below(n) == 0
    }
    /// Uniform in (0, 1).
    fn unit(&mut self) -> f64 {
        ((self.next() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    /// Standard normal (Box–Muller).
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.unit(), self.unit());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

/// Median characters of title plus text, and the spread of their logarithm.
const MEDIAN_CHARS: f64 = 224.0;
const SIGMA: f64 = 1.0;
const MIN_CHARS: usize = 20;
const MAX_CHARS: usize = 4_000;

/// An appeal's title and text: `(title, text)`, together about as long as a real
/// message drawn at random.
pub(crate) fn appeal(seed: u64) -> (String, String) {
    let mut rng = Rng::new(seed);
    let total = ((MEDIAN_CHARS.ln() + SIGMA * rng.normal()).exp().round() as usize).clamp(MIN_CHARS, MAX_CHARS);
    let place = format!("{}{}", rng.pick(&AREAS), rng.pick(&PLACES));
    let title = format!("{}{}", place, rng.pick(&TITLES));
    let title_len = title.chars().count();
    let want = total.saturating_sub(title_len).max(10);
    let mut text = String::with_capacity(want * 3 + 64);
    let mut len = 0;
    let push = |text: &mut String, s: &str| {
        text.push_str(s);
        s.chars().count()
    };
    len += push(&mut text, rng.pick::<&str>(&OPENERS));
    len += push(&mut text, &place);
    len += push(&mut text, rng.pick::<&str>(&PROBLEMS));
    while len < want {
        let s = match rng.below(7) {
            0 => format!("{}{}", rng.pick(&TIMES), rng.pick(&PROBLEMS)),
            1 => format!("{}{}{}", rng.pick(&LINKS), rng.pick(&AREAS), rng.pick(&PROBLEMS)),
            2 => rng.pick(&IMPACTS).to_string(),
            3 => format!("{}{}{}", rng.pick(&HISTORY), 2 + rng.below(11), rng.pick(&HISTORY_END)),
            4 => format!("{}{}", rng.pick(&LINKS), rng.pick(&IMPACTS)),
            5 => rng.pick(&DEMANDS).to_string(),
            _ => format!("{}{}{}", rng.pick(&TIMES), rng.pick(&PLACES), rng.pick(&PROBLEMS)),
        };
        len += push(&mut text, &s);
    }
    // Cut to the length drawn, at a character boundary, and end the sentence.
    let mut cut: String = text.chars().take(want.saturating_sub(1)).collect();
    cut.push('。');
    (title, cut)
}

const AREAS: [&str; 24] = [
    "云溪街道",
    "湖畔路",
    "东风社区",
    "新华街",
    "光明小区",
    "滨河花园",
    "建设路",
    "幸福里",
    "长安街道",
    "人民北路",
    "翠湖苑",
    "南门社区",
    "工业园区",
    "文化路",
    "金桂园",
    "西岭村",
    "火车站附近",
    "第三中学旁",
    "农贸市场",
    "阳光城",
    "解放大道",
    "青年路口",
    "锦绣家园",
    "老城区",
];
const PLACES: [&str; 16] = [
    "小区门口",
    "3号楼下",
    "十字路口",
    "公交站台",
    "地下车库",
    "北侧人行道",
    "菜市场东门",
    "幼儿园门前",
    "河道沿线",
    "垃圾转运站",
    "便民服务点",
    "健身广场",
    "沿街商铺",
    "小区内部道路",
    "单元楼道",
    "停车场出口",
];
const TITLES: [&str; 20] = [
    "路灯不亮",
    "占道经营严重",
    "噪音扰民",
    "垃圾无人清运",
    "井盖破损",
    "违章停车堵路",
    "污水外溢",
    "施工扬尘",
    "供暖不热",
    "停水三天",
    "油烟扰民",
    "树木倒伏",
    "电梯频繁故障",
    "道路坑洼",
    "物业不作为",
    "私搭乱建",
    "流浪犬伤人",
    "路面积水",
    "消防通道被占",
    "夜间施工",
];
const OPENERS: [&str; 10] = [
    "",
    "来电人反映：",
    "市民来电称，",
    "网友留言：",
    "居民反映，",
    "来电人称近一段时间以来，",
    "有市民反映，",
    "群众来电：",
    "本人是附近居民，",
    "您好，",
];
const PROBLEMS: [&str; 32] = [
    "路灯已经一周不亮，晚上出行很不安全，",
    "有摊贩长期占道经营，早晚高峰行人只能走机动车道，",
    "装修和施工噪音从早到晚不停，",
    "生活垃圾堆积多日无人清运，气味难闻，",
    "井盖破损塌陷，已有电动车摔倒，",
    "车辆乱停乱放，消防通道被堵死，",
    "污水井堵塞外溢，路面全是污水，",
    "工地未采取降尘措施，扬尘很大，",
    "暖气温度只有十几度，老人孩子受冻，",
    "已经连续停水，没有任何通知，",
    "餐馆油烟直排，楼上住户无法开窗，",
    "行道树被风刮倒，压住了人行道，",
    "电梯经常停运困人，物业迟迟不修，",
    "路面坑洼不平，雨天到处积水，",
    "物业公司收费后不履行维修义务，",
    "有人在绿地上私自搭建棚屋，",
    "流浪狗成群出没，咬伤过路人，",
    "排水不畅，一下雨就严重积水，",
    "夜间渣土车频繁通过，声音很大，",
    "共享单车堆放杂乱，占用盲道，",
    "广场舞音响音量过大，持续到晚上十点以后，",
    "小区监控多处损坏，近期发生多起盗窃，",
    "公交车班次减少，候车时间过长，",
    "学校周边交通秩序混乱，存在安全隐患，",
    "河道漂浮物多，水体发黑发臭，",
    "电动车在楼道内充电，存在火灾隐患，",
    "燃气管道有异味，担心泄漏，",
    "红绿灯配时不合理，经常拥堵，",
    "拆迁补偿一直没有落实，",
    "社保卡办理进度迟迟没有回复，",
    "门前道路被挖开后长期没有恢复，",
    "住宅楼外墙瓷砖脱落，砸坏了车辆，",
];
const TIMES: [&str; 10] = [
    "每天早上七点左右，",
    "最近两个星期，",
    "从上个月开始，",
    "一到晚上，",
    "周末的时候，",
    "雨天时，",
    "今天上午又发现，",
    "昨天夜里，",
    "这段时间以来，",
    "入冬以后，",
];
const LINKS: [&str; 8] = ["同时，", "另外，", "而且", "此外，", "更严重的是，", "不仅如此，", "与此同时，", "还有，"];
const IMPACTS: [&str; 12] = [
    "严重影响周边居民的正常生活和休息。",
    "家中有老人和小孩，十分担心安全问题。",
    "附近商户和居民意见很大。",
    "给上下班和接送孩子带来很大不便。",
    "已经有人因此受伤，存在很大安全隐患。",
    "环境卫生状况越来越差。",
    "晚上根本无法入睡，第二天还要上班。",
    "车辆通行非常困难，经常堵成一片。",
    "居民多次在业主群里反映，大家都很着急。",
    "老年人出行尤其不方便。",
    "雨后路面湿滑，行人很容易摔倒。",
    "周围的学生上下学也要经过这里。",
];
const HISTORY: [&str; 6] = [
    "此前已经向物业反映过",
    "已经拨打过热线",
    "社区工作人员来看过",
    "之前也在网上留言过",
    "我们已经联系过施工单位",
    "找过街道办",
];
const HISTORY_END: [&str; 4] =
    ["次，但一直没有解决。", "次，至今没有任何答复。", "次，问题反反复复。", "次，对方互相推诿。"];
const DEMANDS: [&str; 10] = [
    "希望有关部门尽快核实处理。",
    "请相关部门加强巡查，形成长效管理机制。",
    "恳请领导重视，尽快给予答复。",
    "希望能够彻底解决这个问题。",
    "请尽快派人来现场查看。",
    "要求回复处理结果。",
    "希望政府能够协调解决。",
    "请依法依规处理。",
    "望早日解决，谢谢。",
    "希望不要再拖了。",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_follow_the_real_messages() {
        let mut lens: Vec<usize> = (0..20_000)
            .map(|i| {
                let (t, x) = appeal(i);
                t.chars().count() + x.chars().count()
            })
            .collect();
        lens.sort_unstable();
        let mean = lens.iter().sum::<usize>() as f64 / lens.len() as f64;
        let (median, p90) = (lens[lens.len() / 2], lens[lens.len() * 9 / 10]);
        // The real messages: mean 371, median 224, 90th percentile 794.
        assert!((330.0..=410.0).contains(&mean), "mean {mean}");
        assert!((200..=250).contains(&median), "median {median}");
        assert!((700..=900).contains(&p90), "p90 {p90}");
    }

    #[test]
    fn texts_are_chinese_and_differ_between_appeals() {
        let (t1, x1) = appeal(1);
        let (t2, x2) = appeal(2);
        assert!(x1 != x2 || t1 != t2);
        let cjk = x1.chars().filter(|c| ('\u{4e00}'..='\u{9fff}').contains(c)).count();
        assert!(cjk * 10 >= x1.chars().count() * 8, "mostly Chinese: {x1}");
        assert!(x1.ends_with('。'));
    }
}
