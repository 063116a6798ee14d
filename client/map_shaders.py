"""The map's GLSL programs: the land texture, the instanced roads and the cached picture.

The road program widens each link in screen pixels and shifts it to the right of its
direction of travel (see map_view.py); the picture program copies the cached map to the
window shifted by whole pixels, which is how the map pans without drawing the roads again.
"""

LAND_VERTEX = """
#version 330
uniform vec2 u_scale;
uniform vec2 u_offset;
in vec2 in_pos;
in vec2 in_uv;
out vec2 v_uv;
void main() {
    gl_Position = vec4(in_pos * u_scale + u_offset, 0.0, 1.0);
    v_uv = in_uv;
}
"""

LAND_FRAGMENT = """
#version 330
uniform sampler2D u_land;
in vec2 v_uv;
out vec4 out_color;
void main() {
    out_color = texture(u_land, v_uv);
}
"""

# One instance per link. in_corner.x runs along the link (0 at its start, 1 at its end),
# in_corner.y across it (0 at the band's inner edge, 1 at its outer edge).
ROAD_VERTEX = """
#version 330
uniform vec2 u_scale;
uniform vec2 u_offset;
uniform vec2 u_clip_per_px;
uniform float u_width_scale;
uniform float u_grow_px;
uniform int u_only;
in vec2 in_corner;
in vec2 in_a;
in vec2 in_b;
in float in_width_px;
in float in_shift_px;
in vec4 in_color;
in float in_dashed;
in float in_picked;
out vec4 v_color;
out float v_along_px;
flat out float v_dashed;
void main() {
    // u_only: -1 every link, -2 the picked ones, else that one link.
    if ((u_only >= 0 && gl_InstanceID != u_only) || (u_only == -2 && in_picked < 0.5)) {
        gl_Position = vec4(2.0, 2.0, 0.0, 1.0);
        return;
    }
    vec2 a_px = (in_a * u_scale + u_offset) / u_clip_per_px;
    vec2 b_px = (in_b * u_scale + u_offset) / u_clip_per_px;
    vec2 d = b_px - a_px;
    float len = length(d);
    vec2 dir = len > 1e-6 ? d / len : vec2(1.0, 0.0);
    vec2 right = vec2(dir.y, -dir.x);
    float inner = in_shift_px * u_width_scale - u_grow_px;
    float outer = (in_shift_px + in_width_px) * u_width_scale + u_grow_px;
    float along = mix(-u_grow_px, len + u_grow_px, in_corner.x);
    vec2 p = a_px + dir * along + right * mix(inner, outer, in_corner.y);
    gl_Position = vec4(p * u_clip_per_px, 0.0, 1.0);
    v_color = in_color;
    v_along_px = along;
    v_dashed = in_dashed;
}
"""

ROAD_FRAGMENT = """
#version 330
uniform int u_solid;
uniform vec4 u_solid_color;
uniform vec4 u_dash_color;
uniform float u_dash_px;
in vec4 v_color;
in float v_along_px;
flat in float v_dashed;
out vec4 out_color;
void main() {
    if (u_solid == 1) {
        out_color = u_solid_color;
    } else if (v_dashed > 0.5 && mod(v_along_px, 2.0 * u_dash_px) < u_dash_px) {
        out_color = u_dash_color;
    } else {
        out_color = v_color;
    }
}
"""

# The cached map is larger than the window by a margin on every side: each window pixel
# shows the texel u_shift away (device pixels), so a pan moves the picture without
# drawing the roads again.
PICTURE_VERTEX = """
#version 330
in vec2 in_pos;
in vec2 in_uv;
void main() {
    gl_Position = vec4(in_pos, 0.0, 1.0);
}
"""

PICTURE_FRAGMENT = """
#version 330
uniform sampler2D u_picture;
uniform ivec2 u_shift;
out vec4 out_color;
void main() {
    out_color = texelFetch(u_picture, ivec2(gl_FragCoord.xy) + u_shift, 0);
}
"""
