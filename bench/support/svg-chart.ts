/**
 * A line chart as a standalone SVG, written by hand (no dependency): axes with ticks and
 * labels, one polyline per series (solid or dashed), a marker and value label per point,
 * and a legend. Text is escaped, so the output is well-formed XML by construction;
 * `assertWellFormedXml` checks that anyway before the file is written.
 */

export interface Point {
  x: number;
  y: number;
}

export interface Series {
  name: string;
  points: Point[];
  color: string;
  dashed?: boolean;
  /** Print each point's value beside its marker. */
  labels?: boolean;
}

export interface LineChart {
  title: string;
  subtitle?: string;
  xLabel: string;
  yLabel: string;
  /** The x values to tick and label (the chart spaces them on a log2 scale when `logX`). */
  xTicks: number[];
  logX?: boolean;
  series: Series[];
}

const WIDTH = 720;
const HEIGHT = 440;
const MARGIN = { top: 64, right: 180, bottom: 64, left: 80 };

const escapeXml = (text: string): string =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

const element = (name: string, attributes: Record<string, string | number>, content?: string): string => {
  const attrs = Object.entries(attributes)
    .map(([key, value]) => ` ${key}="${escapeXml(String(value))}"`)
    .join("");
  return content === undefined ? `<${name}${attrs}/>` : `<${name}${attrs}>${content}</${name}>`;
};

const text = (
  x: number,
  y: number,
  content: string,
  attributes: Record<string, string | number> = {},
): string => element("text", { x: x.toFixed(1), y: y.toFixed(1), ...attributes }, escapeXml(content));

/** 1, 2 or 5 times a power of ten, at least `value`. */
const niceCeiling = (value: number): number => {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
};

export const renderLineChart = (chart: LineChart): string => {
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const xValue = (x: number): number => (chart.logX ? Math.log2(x) : x);
  const xs = chart.xTicks.map(xValue);
  const xMin = Math.min(...xs);
  const xMax = Math.max(...xs);
  const yMax = niceCeiling(
    Math.max(1, ...chart.series.flatMap((series) => series.points.map((p) => p.y))) * 1.05,
  );
  const px = (x: number): number =>
    MARGIN.left + ((xValue(x) - xMin) / Math.max(1e-9, xMax - xMin)) * plotWidth;
  const py = (y: number): number => MARGIN.top + plotHeight - (y / yMax) * plotHeight;

  const parts: string[] = [];
  parts.push(element("rect", { x: 0, y: 0, width: WIDTH, height: HEIGHT, fill: "#ffffff" }));
  parts.push(
    text(WIDTH / 2, 26, chart.title, { "text-anchor": "middle", "font-size": 17, "font-weight": "bold" }),
  );
  if (chart.subtitle) {
    parts.push(
      text(WIDTH / 2, 46, chart.subtitle, { "text-anchor": "middle", "font-size": 12, fill: "#555555" }),
    );
  }

  // Grid and y ticks.
  const yTicks = 5;
  for (let i = 0; i <= yTicks; i++) {
    const value = (yMax / yTicks) * i;
    const y = py(value);
    parts.push(
      element("line", {
        x1: MARGIN.left,
        y1: y.toFixed(1),
        x2: MARGIN.left + plotWidth,
        y2: y.toFixed(1),
        stroke: "#e3e3e3",
        "stroke-width": 1,
      }),
    );
    parts.push(
      text(MARGIN.left - 8, y + 4, String(Math.round(value)), { "text-anchor": "end", "font-size": 12 }),
    );
  }
  // x ticks.
  for (const tick of chart.xTicks) {
    const x = px(tick);
    parts.push(
      element("line", {
        x1: x.toFixed(1),
        y1: MARGIN.top + plotHeight,
        x2: x.toFixed(1),
        y2: MARGIN.top + plotHeight + 6,
        stroke: "#333333",
        "stroke-width": 1,
      }),
    );
    parts.push(
      text(x, MARGIN.top + plotHeight + 22, String(tick), { "text-anchor": "middle", "font-size": 12 }),
    );
  }
  // Axes.
  const axis = { stroke: "#333333", "stroke-width": 1.5 };
  parts.push(
    element("line", {
      x1: MARGIN.left,
      y1: MARGIN.top,
      x2: MARGIN.left,
      y2: MARGIN.top + plotHeight,
      ...axis,
    }),
    element("line", {
      x1: MARGIN.left,
      y1: MARGIN.top + plotHeight,
      x2: MARGIN.left + plotWidth,
      y2: MARGIN.top + plotHeight,
      ...axis,
    }),
  );
  parts.push(
    text(MARGIN.left + plotWidth / 2, HEIGHT - 16, chart.xLabel, {
      "text-anchor": "middle",
      "font-size": 13,
    }),
    text(20, MARGIN.top + plotHeight / 2, chart.yLabel, {
      "text-anchor": "middle",
      "font-size": 13,
      transform: `rotate(-90 20 ${(MARGIN.top + plotHeight / 2).toFixed(1)})`,
    }),
  );

  // Series, then the legend.
  chart.series.forEach((series, index) => {
    const points = series.points.map((p) => `${px(p.x).toFixed(1)},${py(p.y).toFixed(1)}`).join(" ");
    parts.push(
      element("polyline", {
        points,
        fill: "none",
        stroke: series.color,
        "stroke-width": 2.5,
        ...(series.dashed ? { "stroke-dasharray": "7 5" } : {}),
      }),
    );
    for (const point of series.points) {
      parts.push(
        element("circle", {
          cx: px(point.x).toFixed(1),
          cy: py(point.y).toFixed(1),
          r: 4,
          fill: series.color,
        }),
      );
      if (series.labels) {
        parts.push(
          text(px(point.x) + 7, py(point.y) - 8, String(Math.round(point.y)), {
            "font-size": 11,
            fill: series.color,
          }),
        );
      }
    }
    const legendY = MARGIN.top + 10 + index * 22;
    const legendX = MARGIN.left + plotWidth + 16;
    parts.push(
      element("line", {
        x1: legendX,
        y1: legendY,
        x2: legendX + 26,
        y2: legendY,
        stroke: series.color,
        "stroke-width": 2.5,
        ...(series.dashed ? { "stroke-dasharray": "7 5" } : {}),
      }),
      text(legendX + 32, legendY + 4, series.name, { "font-size": 12 }),
    );
  });

  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="DejaVu Sans, Arial, sans-serif">`,
    element("title", {}, escapeXml(chart.title)),
    ...parts,
    "</svg>",
    "",
  ].join("\n");
};

/**
 * Throws unless `xml` is well-formed for what this module writes: one root, every tag
 * closed in order, attributes quoted, `&` only in the five predefined entities or a
 * character reference, no `<` in text.
 */
export const assertWellFormedXml = (xml: string): void => {
  const body = xml.replace(/^<\?xml[^?]*\?>\s*/, "");
  const token = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|([^<]+)/gy;
  const stack: string[] = [];
  let roots = 0;
  let position = 0;
  while (position < body.length) {
    token.lastIndex = position;
    const match = token.exec(body);
    if (!match)
      throw new Error(`not well-formed XML at offset ${position}: ${body.slice(position, position + 40)}`);
    position = token.lastIndex;
    const [, closing, name, attributes, selfClosing, content] = match;
    if (content !== undefined) {
      if (stack.length === 0 && content.trim() !== "") throw new Error("text outside the root element");
      if (/&(?!(amp|lt|gt|quot|apos|#\d+|#x[0-9a-f]+);)/i.test(content))
        throw new Error("unescaped & in text");
      continue;
    }
    if (attributes && /&(?!(amp|lt|gt|quot|apos|#\d+|#x[0-9a-f]+);)/i.test(attributes)) {
      throw new Error(`unescaped & in an attribute of <${name}>`);
    }
    if (closing) {
      if (stack.pop() !== name) throw new Error(`</${name}> closes nothing open`);
      continue;
    }
    if (stack.length === 0 && ++roots > 1) throw new Error("more than one root element");
    if (!selfClosing) stack.push(name ?? "");
  }
  if (stack.length > 0) throw new Error(`unclosed <${stack.join("> <")}>`);
  if (roots !== 1) throw new Error("no root element");
};
