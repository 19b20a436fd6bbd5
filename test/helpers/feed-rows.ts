// Campaign feed rows as the feed sends them (snake_case), and feed documents made of them.

export interface FeedRow {
  id: string;
  video_url?: string;
  country: string;
  lang: string;
  start_hour: number;
  end_hour: number;
  weight?: number;
  duration?: number;
  mime?: string;
  width?: number;
  height?: number;
  bitrate?: number;
  click_url?: string;
  title?: string;
  campaign_id?: string;
  priority?: number;
  house?: boolean;
  starts_at?: string;
  ends_at?: string;
  weekdays?: string[];
  timezone?: string;
  platforms?: string[];
  kv?: Record<string, string[]>;
  frequency_cap?: { count: number; seconds: number };
  campaign_frequency_cap?: { count: number; seconds: number };
}

/** A feed row; the window defaults to all day (start = end), the video URL to one named after the id. */
export function row(id: string, country: string, lang: string, start = 0, end = 0, extra: Partial<FeedRow> = {}): FeedRow {
  return { id, video_url: `https://cdn.test/${id}.mp4`, country, lang, start_hour: start, end_hour: end, ...extra };
}

/** A feed document as JSON; an id given as a string is an all-day us/eng row. */
export const feedOf = (...rows: (string | FeedRow | Record<string, unknown>)[]): string =>
  JSON.stringify({ ads: rows.map((r) => (typeof r === 'string' ? row(r, 'us', 'eng') : r)) });
