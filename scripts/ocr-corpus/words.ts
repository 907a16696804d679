/** Words the generated images are written with: plain English, the jargon of error screenshots, and Chinese. */
export const english = `time year people way day man thing woman life child world school state family student
group country problem hand part place case week company system program question work government number night
point home water room mother area money story fact month lot right study book eye job word business issue side
kind head house service friend father power hour game line end member law car city community name president team
minute idea kid body information back parent face others level office door health person art war history party
result change morning reason research girl guy moment air teacher force education foot boy age policy process
music market sense nation plan college interest death experience effect class control care field development role
effort rate heart drug show leader light voice wife police mind price report decision son view relationship town
road arm difference value building action model season society tax director position player record paper space
ground form event official matter center couple site project activity star table need court oil situation cost
industry figure street image phone data picture practice piece land product doctor wall patient worker news test
movie north love support technology step baby computer type attention film tree source organization hair window
evidence population truth song garden river bridge mountain coffee cat flower summer winter forest island
village orange yellow purple silver golden quiet happy simple strong bright secret hidden ancient modern`
  .split(/\s+/)
  .filter(Boolean);

/** Phrases of screenshots people search for: errors, status lines, buttons. */
export const technical = [
  '502 Bad Gateway',
  '404 Not Found',
  '500 Internal Server Error',
  '503 Service Unavailable',
  'Connection refused',
  'Permission denied',
  'Segmentation fault',
  'Out of memory',
  'Request timed out',
  'Build failed',
  'All tests passed',
  'npm ERR! missing script',
  'TypeError: undefined is not a function',
  'Deploy succeeded',
  'Invalid password',
  'Disk quota exceeded',
  'Payment declined',
  'Update available',
  'Sign in with email',
  'Save changes',
  'Unsaved changes will be lost',
  'Merge conflict in README',
  'Cannot read property length',
  'Too many requests',
  'Certificate expired',
];

export const meme = [
  'this is fine',
  'one does not simply',
  'such wow much code',
  'not sure if bug or feature',
  'it works on my machine',
  'shut up and take my money',
  'i have no idea what i am doing',
  'brace yourselves deploys are coming',
  'all the things',
  'monday again',
  'coffee first then code',
  'nobody reads the docs',
];

export const chinese =
  `今天 天气 很好 我们 一起 学习 中文 服务器 错误 网关 超时 请求 失败 登录 密码 用户 设置 保存 取消 确定 文件
上传 下载 成功 欢迎 光临 注意 安全 出口 禁止 吸烟 会议 开始 结束 北京 上海 火车 站台 咖啡 猫咪 花园 山水 春节 快乐
新年 电话 号码 地址 价格 优惠 打折 商店 营业 时间`
    .split(/\s+/)
    .filter(Boolean);
